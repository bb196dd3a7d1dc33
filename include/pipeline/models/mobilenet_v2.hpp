// torchvision's MobileNet v2 with torchvision's names (features.N.conv.K..., classifier.1),
// so its state dicts load without a mapping table. Registered as the module of the
// MobileNetV2 descriptor (dsl/backbones/mobilenet.hpp).
#pragma once

#include <array>
#include <concepts>
#include <cstdint>

#include <torch/torch.h>

#include <pipeline/concepts/backbone.hpp>
#include <pipeline/dsl/backbones/mobilenet.hpp>
#include <pipeline/dsl/spec.hpp>
#include <pipeline/models/layers.hpp>

namespace pipeline::models {

//! Expand (1x1), depthwise (3x3), project (1x1, linear); a residual when shapes allow.
struct InvertedResidualV2Impl : torch::nn::Module {
    InvertedResidualV2Impl(std::int64_t in, std::int64_t out, std::int64_t stride,
                           std::int64_t expand_ratio)
        : residual(stride == 1 && in == out) {
        namespace nn = torch::nn;
        auto const hidden = in * expand_ratio;
        if (expand_ratio != 1)
            conv->push_back(conv_norm_act(in, hidden, 1, 1, 1, activation::relu6));
        conv->push_back(
            conv_norm_act(hidden, hidden, 3, stride, hidden, activation::relu6));
        conv->push_back(nn::Conv2d(nn::Conv2dOptions(hidden, out, 1).bias(false)));
        conv->push_back(nn::BatchNorm2d(out));
        register_module("conv", conv);
    }
    torch::Tensor forward(torch::Tensor const& x) {
        return residual ? x + conv->forward(x) : conv->forward(x);
    }
    bool residual;
    torch::nn::Sequential conv;
};
TORCH_MODULE(InvertedResidualV2);

//! Blocks as the descriptor names them: Stem (features.0), one Stage per row of the table
//! (Stage0..Stage6), LastConv (the 1x1 conv to `last_channel`), Head.
struct MobileNetV2Impl : FeaturesClassifierImpl {
    struct setting {
        std::int64_t t, c, n, s;
    };
    static constexpr std::array<setting, 7> settings{{{1, 16, 1, 1},
                                                      {6, 24, 2, 2},
                                                      {6, 32, 3, 2},
                                                      {6, 64, 4, 2},
                                                      {6, 96, 3, 1},
                                                      {6, 160, 3, 2},
                                                      {6, 320, 1, 1}}};

    MobileNetV2Impl(std::int64_t last_channel, mobilenet_options const& o)
        : options(o) {
        namespace nn = torch::nn;
        std::int64_t in = 32;
        start_block();
        features->push_back(conv_norm_act(o.in_channels, in, 3, 2, 1, activation::relu6));
        for (auto const& st : settings) {
            start_block();
            for (std::int64_t i = 0; i < st.n; ++i) {
                features->push_back(InvertedResidualV2(in, st.c, i == 0 ? st.s : 1, st.t));
                in = st.c;
            }
        }
        start_block();
        features->push_back(conv_norm_act(in, last_channel, 1, 1, 1, activation::relu6));
        start_block();
        register_module("features", features);
        classifier->push_back(nn::Dropout(o.head_dropout));
        classifier->push_back(nn::Linear(last_channel, o.num_classes));
        register_module("classifier", classifier);
        mobilenet_init(*this);
    }

    mobilenet_options options;
};
TORCH_MODULE(MobileNetV2);

} // namespace pipeline::models

namespace pipeline {

namespace models {
//! The module of MobileNet v2 `b` for `config` (a head_dropout below 0: the
//! descriptor's default).
inline models::MobileNetV2 make_mobilenet_v2(spec::backbone const& b,
                                             model_config const& config) {
    return MobileNetV2(b.features, detail::mobilenet_options_for(b, config));
}
} // namespace models

//! The module of every MobileNetV2 descriptor.
template <class B>
requires std::same_as<typename B::family, mobilenet_v2_family>
struct backbone_builder<B> {
    using module_type = models::MobileNetV2;

    static module_type make(model_config const& c) {
        return models::make_mobilenet_v2(detail::backbone_record<B>(), c);
    }
};

} // namespace pipeline
