// torchvision's MobileNet v3 (Small and Large) with torchvision's names
// (features.N.block.K..., squeeze-excitation fc1/fc2, classifier.0/.3), so its state
// dicts load without a mapping table. Registered as the module of the MobileNetV3Small and
// MobileNetV3Large descriptors (dsl/backbones/mobilenet.hpp), whose tables it builds.
#pragma once

#include <concepts>
#include <cstdint>
#include <span>

#include <torch/torch.h>

#include <pipeline/concepts/backbone.hpp>
#include <pipeline/dsl/backbones/mobilenet.hpp>
#include <pipeline/dsl/spec.hpp>
#include <pipeline/models/layers.hpp>

namespace pipeline::models {

//! torchvision's SqueezeExcitation: pool, fc1 (1x1 conv), ReLU, fc2, hard-sigmoid, scale.
struct SqueezeExcitationImpl : torch::nn::Module {
    SqueezeExcitationImpl(std::int64_t channels, std::int64_t squeeze) {
        namespace nn = torch::nn;
        fc1 = register_module("fc1", nn::Conv2d(nn::Conv2dOptions(channels, squeeze, 1)));
        fc2 = register_module("fc2", nn::Conv2d(nn::Conv2dOptions(squeeze, channels, 1)));
    }
    torch::Tensor forward(torch::Tensor const& x) {
        auto s = torch::adaptive_avg_pool2d(x, {1, 1});
        s = torch::hardsigmoid(fc2(torch::relu(fc1(s))));
        return x * s;
    }
    torch::nn::Conv2d fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(SqueezeExcitation);

struct InvertedResidualV3Impl : torch::nn::Module {
    explicit InvertedResidualV3Impl(mobilenet_v3_block const& c)
        : residual(c.stride == 1 && c.in == c.out) {
        norm_options const norm{0.001, 0.01};
        auto const act = c.hardswish ? activation::hardswish : activation::relu;
        if (c.expanded != c.in)
            block->push_back(conv_norm_act(c.in, c.expanded, 1, 1, 1, act, norm));
        block->push_back(conv_norm_act(c.expanded, c.expanded, c.kernel, c.stride,
                                       c.expanded, act, norm));
        if (c.squeeze_excitation)
            block->push_back(
                SqueezeExcitation(c.expanded, make_divisible(c.expanded / 4, 8)));
        block->push_back(conv_norm_act(c.expanded, c.out, 1, 1, 1, activation::none, norm));
        register_module("block", block);
    }
    torch::Tensor forward(torch::Tensor const& x) {
        return residual ? x + block->forward(x) : block->forward(x);
    }
    bool residual;
    torch::nn::Sequential block;
};
TORCH_MODULE(InvertedResidualV3);

//! Blocks as the descriptor names them: Stem (features.0), one Stage per run of table rows
//! with the same output channels, LastConv (the 1x1 conv to 6x the last width), Head.
struct MobileNetV3Impl : FeaturesClassifierImpl {
    MobileNetV3Impl(std::span<mobilenet_v3_block const> table, std::int64_t last_channel,
                    mobilenet_options const& o)
        : options(o) {
        namespace nn = torch::nn;
        norm_options const norm{0.001, 0.01};
        start_block();
        features->push_back(conv_norm_act(o.in_channels, table.front().in, 3, 2, 1,
                                          activation::hardswish, norm));
        for (std::size_t i = 0; i < table.size(); ++i) {
            if (i == 0 || table[i].out != table[i - 1].out)
                start_block();
            features->push_back(InvertedResidualV3(table[i]));
        }
        auto const last_in = table.back().out;
        auto const last_out = 6 * last_in;
        start_block();
        features->push_back(
            conv_norm_act(last_in, last_out, 1, 1, 1, activation::hardswish, norm));
        start_block();
        register_module("features", features);
        classifier->push_back(nn::Linear(last_out, last_channel));
        classifier->push_back(
            nn::Functional([](torch::Tensor x) { return torch::hardswish(x); }));
        classifier->push_back(nn::Dropout(o.head_dropout));
        classifier->push_back(nn::Linear(last_channel, o.num_classes));
        register_module("classifier", classifier);
        mobilenet_init(*this);
    }

    mobilenet_options options;
};
TORCH_MODULE(MobileNetV3);

} // namespace pipeline::models

namespace pipeline {

namespace models {
//! The module of MobileNet v3 `b` for `config` (a head_dropout below 0: the
//! descriptor's default).
inline models::MobileNetV3 make_mobilenet_v3(spec::backbone const& b,
                                             model_config const& config) {
    return MobileNetV3(b.inverted_residuals, b.features,
                       detail::mobilenet_options_for(b, config));
}
} // namespace models

//! The module of every MobileNetV3Small and MobileNetV3Large descriptor.
template <class B>
requires std::same_as<typename B::family, mobilenet_v3_family>
struct backbone_builder<B> {
    using module_type = models::MobileNetV3;

    static module_type make(model_config const& c) {
        return models::make_mobilenet_v3(detail::backbone_record<B>(), c);
    }
};

} // namespace pipeline
