// From a backbone tag to its module: `backbone_builder<B>::make(config)`. The head is
// sized from the dataset's class count, known at compile time. Each builder also names
// what the weights loader needs: the head's parameter prefix (never loaded from
// pretrained weights), the stem conv (adapted to 1-channel inputs), the conventional
// file names of its ImageNet weights, and the preprocessing those weights expect.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include <torch/torch.h>

#include <pipeline/dsl/backbones.hpp>
#include <pipeline/models/mobilenet_v1.hpp>
#include <pipeline/models/mobilenet_v2.hpp>
#include <pipeline/models/mobilenet_v3.hpp>
#include <pipeline/models/resnet.hpp>

namespace pipeline {

//! What the Model stage and the dataset decide about a backbone's shape.
struct model_config {
    std::int64_t in_channels = 3;
    std::int64_t num_classes = 1000;
    //! ResNets only: 3x3 stride-1 first conv, no max-pool.
    bool cifar_stem = false;
    //! Dropout before the final Linear; negative: the architecture's default.
    double head_dropout = -1.0;
};

//! ImageNet preprocessing of torchvision's weights.
inline constexpr std::array<double, 3> imagenet_mean{0.485, 0.456, 0.406};
inline constexpr std::array<double, 3> imagenet_std{0.229, 0.224, 0.225};

//! Specialised for each backbone family.
template <class B>
struct backbone_builder;

template <class B>
requires requires {
    B::layers;
    B::bottleneck;
}
struct backbone_builder<B> {
    using module_type = models::ResNet;
    //! The replaced classifier.
    static constexpr std::string_view head_prefix = "fc.";
    static constexpr std::string_view stem_conv = "conv1.weight";
    static constexpr std::array<double, 3> mean = imagenet_mean;
    static constexpr std::array<double, 3> std = imagenet_std;

    static std::vector<std::string> imagenet_files() {
        std::string const arch =
            "resnet" + std::to_string(B::bottleneck ? 50 : (B::layers[2] == 6 ? 34 : 18));
        return {arch + ".imagenet.safetensors", arch + ".imagenet.pth"};
    }

    static module_type make(model_config const& c) {
        models::resnet_options o;
        for (std::size_t i = 0; i < 4; ++i)
            o.layers[i] = B::layers[i];
        o.bottleneck = B::bottleneck;
        o.in_channels = c.in_channels;
        o.num_classes = c.num_classes;
        o.cifar_stem = c.cifar_stem;
        o.head_dropout = c.head_dropout < 0.0 ? 0.0 : c.head_dropout;
        return module_type(o);
    }

    static module_type make(std::int64_t in_channels, std::int64_t num_classes) {
        return make(model_config{in_channels, num_classes});
    }
};

namespace detail {
template <class Module, mobilenet_version V>
struct mobilenet_builder {
    using module_type = Module;
    static constexpr bool v1 = V == mobilenet_version::v1;
    static constexpr std::string_view head_prefix = v1 ? "classifier."
                                                    : V == mobilenet_version::v2
                                                        ? "classifier.1."
                                                        : "classifier.3.";
    static constexpr std::string_view stem_conv =
        v1 ? "conv_stem.weight" : "features.0.0.weight";
    //! timm's v1 weights expect inputs in [-1, 1]; torchvision's, ImageNet statistics.
    static constexpr std::array<double, 3> mean =
        v1 ? std::array{0.5, 0.5, 0.5} : imagenet_mean;
    static constexpr std::array<double, 3> std =
        v1 ? std::array{0.5, 0.5, 0.5} : imagenet_std;

    static std::vector<std::string> imagenet_files() {
        switch (V) {
        case mobilenet_version::v1:
            return {"mobilenetv1_100.imagenet.safetensors",
                    "mobilenetv1_100.imagenet.partial.safetensors"};
        case mobilenet_version::v2:
            return {"mobilenet_v2.imagenet.safetensors", "mobilenet_v2.imagenet.pth"};
        case mobilenet_version::v3_small:
            return {"mobilenet_v3_small.imagenet.safetensors",
                    "mobilenet_v3_small.imagenet.pth"};
        case mobilenet_version::v3_large:
            break;
        }
        return {"mobilenet_v3_large.imagenet.safetensors",
                "mobilenet_v3_large.imagenet.pth"};
    }

    static module_type make(model_config const& c) {
        models::mobilenet_options o;
        o.in_channels = c.in_channels;
        o.num_classes = c.num_classes;
        o.head_dropout = c.head_dropout >= 0.0 ? c.head_dropout : (v1 ? 0.0 : 0.2);
        if constexpr (V == mobilenet_version::v3_small)
            return module_type(models::mobilenet_v3_small_table(), 1024, o);
        else if constexpr (V == mobilenet_version::v3_large)
            return module_type(models::mobilenet_v3_large_table(), 1280, o);
        else
            return module_type(o);
    }

    static module_type make(std::int64_t in_channels, std::int64_t num_classes) {
        return make(model_config{in_channels, num_classes});
    }
};
} // namespace detail

template <>
struct backbone_builder<MobileNetV1>
    : detail::mobilenet_builder<models::MobileNetV1, mobilenet_version::v1> {};
template <>
struct backbone_builder<MobileNetV2>
    : detail::mobilenet_builder<models::MobileNetV2, mobilenet_version::v2> {};
template <>
struct backbone_builder<MobileNetV3Small>
    : detail::mobilenet_builder<models::MobileNetV3, mobilenet_version::v3_small> {};
template <>
struct backbone_builder<MobileNetV3Large>
    : detail::mobilenet_builder<models::MobileNetV3, mobilenet_version::v3_large> {};

} // namespace pipeline
