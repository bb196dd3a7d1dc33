// MobileNet v1 in timm's `mobilenetv1_100` layout (conv_stem, bn1, blocks.S.B.{conv_dw,
// bn1, conv_pw, bn2}, classifier), so timm's weights load without a mapping table.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

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

struct mobilenet_options {
    std::int64_t in_channels = 3;
    std::int64_t num_classes = 1000;
    //! Dropout before the final Linear (torchvision's MobileNets default to 0.2; timm's v1
    //! to 0).
    double head_dropout = 0.0;
};

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
        x = activate(activation::relu6, bn1(conv_stem(x)));
        for (int s = 0; s <= last_stage; ++s)
            x = stages[static_cast<std::size_t>(s)]->forward(x);
        return x;
    }

    torch::Tensor forward(torch::Tensor const& x) {
        auto f = torch::adaptive_avg_pool2d(forward_features(x), {1, 1}).flatten(1);
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
