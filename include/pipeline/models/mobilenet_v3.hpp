// torchvision's MobileNet v3 (Small and Large) with torchvision's names
// (features.N.block.K..., squeeze-excitation fc1/fc2, classifier.0/.3), so its state
// dicts load without a mapping table.
#pragma once

#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include <pipeline/models/layers.hpp>
#include <pipeline/models/mobilenet_v1.hpp>

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

//! One row of torchvision's inverted-residual table.
struct bneck {
    std::int64_t in, kernel, expanded, out;
    bool se;
    bool hardswish;
    std::int64_t stride;
};

struct InvertedResidualV3Impl : torch::nn::Module {
    explicit InvertedResidualV3Impl(bneck const& c)
        : residual(c.stride == 1 && c.in == c.out) {
        norm_options const norm{0.001, 0.01};
        auto const act = c.hardswish ? activation::hardswish : activation::relu;
        if (c.expanded != c.in)
            block->push_back(conv_norm_act(c.in, c.expanded, 1, 1, 1, act, norm));
        block->push_back(conv_norm_act(c.expanded, c.expanded, c.kernel, c.stride,
                                       c.expanded, act, norm));
        if (c.se)
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

//! torchvision's tables (width 1.0, no dilation).
inline std::vector<bneck> mobilenet_v3_large_table() {
    return {{16, 3, 16, 16, false, false, 1},  {16, 3, 64, 24, false, false, 2},
            {24, 3, 72, 24, false, false, 1},  {24, 5, 72, 40, true, false, 2},
            {40, 5, 120, 40, true, false, 1},  {40, 5, 120, 40, true, false, 1},
            {40, 3, 240, 80, false, true, 2},  {80, 3, 200, 80, false, true, 1},
            {80, 3, 184, 80, false, true, 1},  {80, 3, 184, 80, false, true, 1},
            {80, 3, 480, 112, true, true, 1},  {112, 3, 672, 112, true, true, 1},
            {112, 5, 672, 160, true, true, 2}, {160, 5, 960, 160, true, true, 1},
            {160, 5, 960, 160, true, true, 1}};
}
inline std::vector<bneck> mobilenet_v3_small_table() {
    return {{16, 3, 16, 16, true, false, 2},  {16, 3, 72, 24, false, false, 2},
            {24, 3, 88, 24, false, false, 1}, {24, 5, 96, 40, true, true, 2},
            {40, 5, 240, 40, true, true, 1},  {40, 5, 240, 40, true, true, 1},
            {40, 5, 120, 48, true, true, 1},  {48, 5, 144, 48, true, true, 1},
            {48, 5, 288, 96, true, true, 2},  {96, 5, 576, 96, true, true, 1},
            {96, 5, 576, 96, true, true, 1}};
}

struct MobileNetV3Impl : torch::nn::Module {
    MobileNetV3Impl(std::vector<bneck> const& table, std::int64_t last_channel,
                    mobilenet_options const& o)
        : options(o) {
        namespace nn = torch::nn;
        norm_options const norm{0.001, 0.01};
        features->push_back(conv_norm_act(o.in_channels, table.front().in, 3, 2, 1,
                                          activation::hardswish, norm));
        for (auto const& c : table)
            features->push_back(InvertedResidualV3(c));
        auto const last_in = table.back().out;
        auto const last_out = 6 * last_in;
        features->push_back(
            conv_norm_act(last_in, last_out, 1, 1, 1, activation::hardswish, norm));
        register_module("features", features);
        classifier->push_back(nn::Linear(last_out, last_channel));
        classifier->push_back(
            nn::Functional([](torch::Tensor x) { return torch::hardswish(x); }));
        classifier->push_back(nn::Dropout(o.head_dropout));
        classifier->push_back(nn::Linear(last_channel, o.num_classes));
        register_module("classifier", classifier);
        mobilenet_init(*this);
    }

    torch::Tensor forward(torch::Tensor const& x) {
        auto f = torch::adaptive_avg_pool2d(features->forward(x), {1, 1}).flatten(1);
        return classifier->forward(f);
    }

    mobilenet_options options;
    torch::nn::Sequential features, classifier;
};
TORCH_MODULE(MobileNetV3);

} // namespace pipeline::models
