// MobileNet v1 in timm's `mobilenetv1_100` layout (conv_stem, bn1, blocks.S.B.{conv_dw,
// bn1, conv_pw, bn2}, classifier), so timm's weights load without a mapping table.
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include <pipeline/concepts/backbone.hpp>
#include <pipeline/dsl/backbones/mobilenet.hpp>
#include <pipeline/dsl/spec.hpp>
#include <pipeline/models/layers.hpp>

namespace pipeline::models {

//! A depthwise-separable block: 3x3 depthwise conv, BN, ReLU6, 1x1 conv, BN, ReLU6 (no
//! residual, timm's "dsa").
struct DepthwiseSeparableImpl : torch::nn::Module {
    DepthwiseSeparableImpl(std::int64_t in, std::int64_t out, std::int64_t stride) {
        namespace nn = torch::nn;
        conv_dw = register_module(
            "conv_dw",
            nn::Conv2d(
                nn::Conv2dOptions(in, in, 3).stride(stride).padding(1).groups(in).bias(
                    false)));
        bn1 = register_module("bn1", nn::BatchNorm2d(in));
        conv_pw = register_module("conv_pw",
                                  nn::Conv2d(nn::Conv2dOptions(in, out, 1).bias(false)));
        bn2 = register_module("bn2", nn::BatchNorm2d(out));
    }
    torch::Tensor forward(torch::Tensor x) {
        x = activate(activation::relu6, bn1(conv_dw(x)));
        return activate(activation::relu6, bn2(conv_pw(x)));
    }
    torch::nn::Conv2d conv_dw{nullptr}, conv_pw{nullptr};
    torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
};
TORCH_MODULE(DepthwiseSeparable);

struct MobileNetV1Impl : torch::nn::Module {
    //! Blocks per stage and their output channels.
    static constexpr std::array<int, 5> depths{1, 2, 2, 6, 2};
    static constexpr std::array<std::int64_t, 5> channels{64, 128, 256, 512, 1024};

    explicit MobileNetV1Impl(mobilenet_options const& o)
        : options(o) {
        namespace nn = torch::nn;
        conv_stem = register_module(
            "conv_stem",
            nn::Conv2d(
                nn::Conv2dOptions(o.in_channels, 32, 3).stride(2).padding(1).bias(false)));
        bn1 = register_module("bn1", nn::BatchNorm2d(32));
        std::int64_t in = 32;
        for (std::size_t s = 0; s < depths.size(); ++s) {
            Sequence stage;
            for (int b = 0; b < depths[s]; ++b) {
                stage->push_back(
                    DepthwiseSeparable(in, channels[s], (b == 0 && s > 0) ? 2 : 1));
                in = channels[s];
            }
            blocks->push_back(stage);
            stages.push_back(stage);
        }
        register_module("blocks", blocks);
        classifier = register_module("classifier", nn::Linear(in, o.num_classes));
        mobilenet_init(*this);
    }

    //! Feature map after stage `last_stage` (0..4), before pooling.
    torch::Tensor forward_features(torch::Tensor x, int last_stage = 4) {
        for (std::size_t b = 0; b <= static_cast<std::size_t>(last_stage) + 1; ++b)
            x = forward_block(b, x);
        return x;
    }

    torch::Tensor forward(torch::Tensor x) {
        for (std::size_t b = 0; b < block_count(); ++b)
            x = forward_block(b, x);
        return x;
    }

    //! The descriptor's blocks (Stem, Stage0..Stage4, Head) one at a time: running blocks
    //! 0..6 in turn is `forward`.
    [[nodiscard]] std::size_t block_count() const { return stages.size() + 2; }
    torch::Tensor forward_block(std::size_t block, torch::Tensor x) {
        if (block == 0)
            return activate(activation::relu6, bn1(conv_stem(x)));
        if (block <= stages.size())
            return stages[block - 1]->forward(x);
        auto f = torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
        if (options.head_dropout > 0.0)
            f = torch::dropout(f, options.head_dropout, is_training());
        return classifier(f);
    }

    mobilenet_options options;
    torch::nn::Conv2d conv_stem{nullptr};
    torch::nn::BatchNorm2d bn1{nullptr};
    torch::nn::Sequential blocks;
    std::vector<Sequence> stages;
    torch::nn::Linear classifier{nullptr};
};
TORCH_MODULE(MobileNetV1);

} // namespace pipeline::models

namespace pipeline {

namespace models {
//! The module of MobileNet v1 `b` for `config` (a head_dropout below 0: the
//! descriptor's default).
inline models::MobileNetV1 make_mobilenet_v1(spec::backbone const& b,
                                             model_config const& config) {
    return MobileNetV1(detail::mobilenet_options_for(b, config));
}
} // namespace models

//! The module of every MobileNetV1 descriptor.
template <class B>
requires std::same_as<typename B::family, mobilenet_v1_family>
struct backbone_builder<B> {
    using module_type = models::MobileNetV1;

    static module_type make(model_config const& c) {
        return models::make_mobilenet_v1(detail::backbone_record<B>(), c);
    }
};

} // namespace pipeline
