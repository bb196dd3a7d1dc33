// The ResNet descriptors (torchvision's resnet18, resnet34, resnet50): every fact about
// each backbone in one place. The module is models/resnet.hpp. Torch-free.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include <pipeline/dsl/backbone.hpp>
#include <pipeline/dsl/blocks.hpp>
#include <pipeline/dsl/fixed_string.hpp>

namespace pipeline {

//! The family of torchvision's ResNets (models/resnet.hpp builds them).
struct resnet_family {};

namespace detail {
//! A torchvision ResNet: `Layers` residual blocks per stage, BasicBlock or Bottleneck.
template <fixed_string Name, fixed_string WeightsName, std::array<int, 4> Layers,
          bool Bottleneck>
struct resnet : backbone_descriptor<Name, resnet_family, owns<Stem, "conv1.", "bn1.">,
                                    owns<Layer1, "layer1.">, owns<Layer2, "layer2.">,
                                    owns<Layer3, "layer3.">, owns<Layer4, "layer4.">,
                                    owns<Head, "fc.">> {
    static constexpr std::array<int, 4> layers = Layers;
    static constexpr bool bottleneck = Bottleneck;
    //! Channels entering the classifier.
    static constexpr int features = Bottleneck ? 2048 : 512;
    //! The classifier replaced for the dataset: never loaded from pretrained weights.
    static constexpr std::string_view replaced_head = "fc.";
    //! The first convolution (summed over RGB for 1-channel data, replaced by CifarStem).
    static constexpr std::string_view stem_conv = "conv1.weight";
    //! ImageNet weights: `<weights_name>.imagenet.{safetensors,pth}`.
    static constexpr std::string_view weights_name = WeightsName.view();
    //! CifarStem replaces the 7x7 stride-2 conv and the max-pool.
    static constexpr bool supports_cifar_stem = true;
};
} // namespace detail

//! torchvision's resnet18: BasicBlock, [2, 2, 2, 2], 11.7 M parameters with a 1000-way
//! head.
struct ResNet18 : detail::resnet<"ResNet18", "resnet18", {2, 2, 2, 2}, false> {
    static std::vector<std::string> torchvision_files() {
        return {"resnet18-f37072fd.pth"};
    }
    static std::vector<std::string> hf_repos() { return {"timm/resnet18.tv_in1k"}; }
};

//! torchvision's resnet34: BasicBlock, [3, 4, 6, 3].
struct ResNet34 : detail::resnet<"ResNet34", "resnet34", {3, 4, 6, 3}, false> {
    static std::vector<std::string> torchvision_files() {
        return {"resnet34-b627a593.pth"};
    }
    static std::vector<std::string> hf_repos() { return {"timm/resnet34.tv_in1k"}; }
};

//! torchvision's resnet50: Bottleneck, [3, 4, 6, 3].
struct ResNet50 : detail::resnet<"ResNet50", "resnet50", {3, 4, 6, 3}, true> {
    static std::vector<std::string> torchvision_files() {
        return {"resnet50-11ad3fa6.pth", "resnet50-0676ba61.pth"};
    }
    static std::vector<std::string> hf_repos() {
        return {"timm/resnet50.tv2_in1k", "timm/resnet50.tv_in1k"};
    }
};

} // namespace pipeline
