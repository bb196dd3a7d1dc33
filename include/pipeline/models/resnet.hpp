// torchvision's ResNet (v1.5: stride on the 3x3 conv of the bottleneck) with torchvision's
// module and parameter names, so its state dicts load without a mapping table:
// conv1, bn1, layer1.0.conv1, ..., layer4.1.downsample.0, fc. Registered as the module of
// the ResNet descriptors (dsl/backbones/resnet.hpp).
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>

#include <torch/torch.h>

#include <pipeline/concepts/backbone.hpp>
#include <pipeline/dsl/backbones/resnet.hpp>
#include <pipeline/dsl/spec.hpp>
#include <pipeline/models/layers.hpp>

namespace pipeline::models {

//! The projection shortcut of a block that changes shape: 1x1 conv (stride), BatchNorm.
inline torch::nn::Sequential downsample(std::int64_t in, std::int64_t out,
                                        std::int64_t stride) {
    namespace nn = torch::nn;
    return nn::Sequential(
        nn::Conv2d(nn::Conv2dOptions(in, out, 1).stride(stride).bias(false)),
        nn::BatchNorm2d(out));
}

//! The two-conv residual block of ResNet-18/34.
struct BasicBlockImpl : torch::nn::Module {
    static constexpr std::int64_t expansion = 1;

    BasicBlockImpl(std::int64_t inplanes, std::int64_t planes, std::int64_t stride) {
        namespace nn = torch::nn;
        conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(inplanes, planes, 3)
                                                        .stride(stride)
                                                        .padding(1)
                                                        .bias(false)));
        bn1 = register_module("bn1", nn::BatchNorm2d(planes));
        conv2 = register_module(
            "conv2",
            nn::Conv2d(nn::Conv2dOptions(planes, planes, 3).padding(1).bias(false)));
        bn2 = register_module("bn2", nn::BatchNorm2d(planes));
        if (stride != 1 || inplanes != planes * expansion)
            shortcut = register_module(
                "downsample", models::downsample(inplanes, planes * expansion, stride));
    }

    torch::Tensor forward(torch::Tensor const& x) {
        auto out = torch::relu(bn1(conv1(x)));
        out = bn2(conv2(out));
        out += shortcut ? shortcut->forward(x) : x;
        return torch::relu(out);
    }

    torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
    torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
    torch::nn::Sequential shortcut{nullptr};
};
TORCH_MODULE(BasicBlock);

//! The 1x1-3x3-1x1 bottleneck block of ResNet-50 (stride on the 3x3, as torchvision).
struct BottleneckImpl : torch::nn::Module {
    static constexpr std::int64_t expansion = 4;

    BottleneckImpl(std::int64_t inplanes, std::int64_t planes, std::int64_t stride) {
        namespace nn = torch::nn;
        conv1 = register_module(
            "conv1", nn::Conv2d(nn::Conv2dOptions(inplanes, planes, 1).bias(false)));
        bn1 = register_module("bn1", nn::BatchNorm2d(planes));
        conv2 = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(planes, planes, 3)
                                                        .stride(stride)
                                                        .padding(1)
                                                        .bias(false)));
        bn2 = register_module("bn2", nn::BatchNorm2d(planes));
        conv3 = register_module(
            "conv3",
            nn::Conv2d(nn::Conv2dOptions(planes, planes * expansion, 1).bias(false)));
        bn3 = register_module("bn3", nn::BatchNorm2d(planes * expansion));
        if (stride != 1 || inplanes != planes * expansion)
            shortcut = register_module(
                "downsample", models::downsample(inplanes, planes * expansion, stride));
    }

    torch::Tensor forward(torch::Tensor const& x) {
        auto out = torch::relu(bn1(conv1(x)));
        out = torch::relu(bn2(conv2(out)));
        out = bn3(conv3(out));
        out += shortcut ? shortcut->forward(x) : x;
        return torch::relu(out);
    }

    torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
    torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
    torch::nn::Sequential shortcut{nullptr};
};
TORCH_MODULE(Bottleneck);

struct resnet_options {
    std::array<int, 4> layers{2, 2, 2, 2};
    bool bottleneck = false;
    std::int64_t in_channels = 3;
    std::int64_t num_classes = 1000;
    //! 3x3 stride-1 conv1 and no max-pool: the usual stem for 32x32 inputs.
    bool cifar_stem = false;
    //! Dropout before fc (0: none).
    double head_dropout = 0.0;
};

//! ResNet with torchvision's names. `in_channels` other than 3 adapts the first conv
//! (1-channel data gets a 1-channel conv1; pretrained loading sums the RGB filters).
struct ResNetImpl : torch::nn::Module {
    explicit ResNetImpl(resnet_options const& o)
        : options(o) {
        namespace nn = torch::nn;
        conv1 = register_module(
            "conv1", nn::Conv2d(o.cifar_stem ? nn::Conv2dOptions(o.in_channels, 64, 3)
                                                   .stride(1)
                                                   .padding(1)
                                                   .bias(false)
                                             : nn::Conv2dOptions(o.in_channels, 64, 7)
                                                   .stride(2)
                                                   .padding(3)
                                                   .bias(false)));
        bn1 = register_module("bn1", nn::BatchNorm2d(64));
        std::int64_t inplanes = 64;
        std::array<std::int64_t, 4> planes{64, 128, 256, 512};
        for (int i = 0; i < 4; ++i) {
            nn::Sequential layer;
            for (int b = 0; b < o.layers[i]; ++b) {
                std::int64_t stride = (b == 0 && i > 0) ? 2 : 1;
                if (o.bottleneck) {
                    layer->push_back(Bottleneck(inplanes, planes[i], stride));
                    inplanes = planes[i] * BottleneckImpl::expansion;
                } else {
                    layer->push_back(BasicBlock(inplanes, planes[i], stride));
                    inplanes = planes[i] * BasicBlockImpl::expansion;
                }
            }
            layers[i] = register_module("layer" + std::to_string(i + 1), layer);
        }
        fc = register_module("fc", nn::Linear(inplanes, o.num_classes));
        reset_parameters();
    }

    //! torchvision's initialisation: Kaiming-normal (fan_out, ReLU) convolutions, BatchNorm
    //! weight 1 and bias 0; the Linear head keeps PyTorch's default.
    void reset_parameters() {
        torch::NoGradGuard no_grad;
        for (auto& m : modules(/*include_self=*/false)) {
            if (auto* conv = m->as<torch::nn::Conv2d>())
                torch::nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut,
                                                 torch::kReLU);
            else if (auto* bn = m->as<torch::nn::BatchNorm2d>()) {
                torch::nn::init::ones_(bn->weight);
                torch::nn::init::zeros_(bn->bias);
            }
        }
    }

    torch::Tensor forward(torch::Tensor x) {
        for (std::size_t b = 0; b < block_count(); ++b)
            x = forward_block(b, x);
        return x;
    }

    //! The descriptor's blocks in data-flow order (Stem, Layer1..Layer4, Head), one at a
    //! time: running blocks 0..5 in turn is `forward`. Lets a frozen prefix run under
    //! no-grad.
    [[nodiscard]] std::size_t block_count() const { return 6; }
    torch::Tensor forward_block(std::size_t block, torch::Tensor x) {
        if (block == 0) {
            x = torch::relu(bn1(conv1(x)));
            return options.cifar_stem ? x : torch::max_pool2d(x, 3, 2, 1);
        }
        if (block <= 4)
            return layers[block - 1]->forward(x);
        x = torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
        if (options.head_dropout > 0.0)
            x = torch::dropout(x, options.head_dropout, is_training());
        return fc(x);
    }

    resnet_options options;
    torch::nn::Conv2d conv1{nullptr};
    torch::nn::BatchNorm2d bn1{nullptr};
    std::array<torch::nn::Sequential, 4> layers{nullptr, nullptr, nullptr, nullptr};
    torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(ResNet);

} // namespace pipeline::models

namespace pipeline {

namespace models {
//! The module of the ResNet `b` for `config` (a head_dropout below 0: the
//! descriptor's default).
inline models::ResNet make_resnet(spec::backbone const& b, model_config const& config) {
    resnet_options o;
    o.layers = b.layers;
    o.bottleneck = b.bottleneck;
    o.in_channels = config.in_channels;
    o.num_classes = config.num_classes;
    o.cifar_stem = config.cifar_stem;
    o.head_dropout = detail::head_dropout_for(b, config);
    return ResNet(o);
}
} // namespace models

//! The module of every ResNet descriptor.
template <class B>
requires std::same_as<typename B::family, resnet_family>
struct backbone_builder<B> {
    using module_type = models::ResNet;

    static module_type make(model_config const& c) {
        return models::make_resnet(detail::backbone_record<B>(), c);
    }
};

} // namespace pipeline
