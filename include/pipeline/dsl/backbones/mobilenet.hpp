// The MobileNet descriptors: v1 (timm's `mobilenetv1_100` layout), v2 and v3 Small/Large
// (torchvision's). StageS is timm's `blocks.S` (a run of blocks with the same output
// channels); for torchvision's MobileNets the same runs are ranges of `features.N`. The
// modules are models/mobilenet_v1.hpp, _v2.hpp and _v3.hpp. Torch-free.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <pipeline/dsl/backbone.hpp>
#include <pipeline/dsl/blocks.hpp>

namespace pipeline {

//! The families (models/mobilenet_v1.hpp, _v2.hpp, _v3.hpp build them).
struct mobilenet_v1_family {};
struct mobilenet_v2_family {};
struct mobilenet_v3_family {};

//! One row of torchvision's MobileNet v3 table: an inverted residual block.
struct mobilenet_v3_block {
    std::int64_t in, kernel, expanded, out;
    bool squeeze_excitation;
    bool hardswish;
    std::int64_t stride;
};

//! timm's `mobilenetv1_100`: a 3x3 stride-2 stem to 32 channels, then 13 depthwise-
//! separable blocks (ReLU6) in five stages of 1, 2, 2, 6, 2 blocks with 64, 128, 256,
//! 512, 1024 output channels. The ImageNet weights in shared/data use this layout.
struct MobileNetV1
    : backbone_descriptor<
          "MobileNetV1", mobilenet_v1_family, owns<Stem, "conv_stem.", "bn1.">,
          owns<Stage0, "blocks.0.">, owns<Stage1, "blocks.1.">, owns<Stage2, "blocks.2.">,
          owns<Stage3, "blocks.3.">, owns<Stage4, "blocks.4.">, owns<Head, "classifier.">> {
    static constexpr int features = 1024;
    static constexpr std::string_view replaced_head = "classifier.";
    static constexpr std::string_view stem_conv = "conv_stem.weight";
    //! timm's weights expect inputs in [-1, 1].
    static constexpr std::string_view weights_name = "mobilenetv1_100";
    static constexpr input_statistics statistics{{0.5, 0.5, 0.5}, {0.5, 0.5, 0.5}};
    //! The whole file, then the partial one in shared/data (one tensor missing).
    static std::vector<std::string> imagenet_files() {
        return {"mobilenetv1_100.imagenet.safetensors",
                "mobilenetv1_100.imagenet.partial.safetensors"};
    }
};

//! torchvision's `mobilenet_v2`: inverted residuals (t, c, n, s) = (1,16,1,1),
//! (6,24,2,2), (6,32,3,2), (6,64,4,2), (6,96,3,1), (6,160,3,2), (6,320,1,1), then a 1x1
//! conv to 1280 channels; classifier = Dropout(0.2), Linear.
struct MobileNetV2
    : backbone_descriptor<
          "MobileNetV2", mobilenet_v2_family, owns<Stem, "features.0.">,
          owns<Stage0, "features.1.">, owns<Stage1, "features.2.", "features.3.">,
          owns<Stage2, "features.4.", "features.5.", "features.6.">,
          owns<Stage3, "features.7.", "features.8.", "features.9.", "features.10.">,
          owns<Stage4, "features.11.", "features.12.", "features.13.">,
          owns<Stage5, "features.14.", "features.15.", "features.16.">,
          owns<Stage6, "features.17.">, owns<LastConv, "features.18.">,
          owns<Head, "classifier.">> {
    static constexpr int features = 1280;
    static constexpr std::string_view replaced_head = "classifier.1.";
    static constexpr std::string_view stem_conv = "features.0.0.weight";
    static constexpr double default_head_dropout = 0.2;
    static constexpr std::string_view weights_name = "mobilenet_v2";
    static std::vector<std::string> torchvision_files() {
        return {"mobilenet_v2-7ebf99e0.pth", "mobilenet_v2-b0353104.pth"};
    }
};

//! torchvision's `mobilenet_v3_small`: 11 inverted residuals (squeeze-excitation,
//! hard-swish), a 1x1 conv to 576, classifier = Linear(576, 1024), Hardswish,
//! Dropout(0.2), Linear.
struct MobileNetV3Small
    : backbone_descriptor<"MobileNetV3Small", mobilenet_v3_family,
                          owns<Stem, "features.0.">, owns<Stage0, "features.1.">,
                          owns<Stage1, "features.2.", "features.3.">,
                          owns<Stage2, "features.4.", "features.5.", "features.6.">,
                          owns<Stage3, "features.7.", "features.8.">,
                          owns<Stage4, "features.9.", "features.10.", "features.11.">,
                          owns<LastConv, "features.12.">, owns<Head, "classifier.">> {
    //! torchvision's table (width 1.0, no dilation).
    static constexpr std::array<mobilenet_v3_block, 11> table{
        {{16, 3, 16, 16, true, false, 2},
         {16, 3, 72, 24, false, false, 2},
         {24, 3, 88, 24, false, false, 1},
         {24, 5, 96, 40, true, true, 2},
         {40, 5, 240, 40, true, true, 1},
         {40, 5, 240, 40, true, true, 1},
         {40, 5, 120, 48, true, true, 1},
         {48, 5, 144, 48, true, true, 1},
         {48, 5, 288, 96, true, true, 2},
         {96, 5, 576, 96, true, true, 1},
         {96, 5, 576, 96, true, true, 1}}};
    //! The width of the classifier's hidden layer, which the replaced Linear reads.
    static constexpr int features = 1024;
    static constexpr std::string_view replaced_head = "classifier.3.";
    static constexpr std::string_view stem_conv = "features.0.0.weight";
    static constexpr double default_head_dropout = 0.2;
    static constexpr std::string_view weights_name = "mobilenet_v3_small";
    static std::vector<std::string> torchvision_files() {
        return {"mobilenet_v3_small-047dcff4.pth"};
    }
};

//! torchvision's `mobilenet_v3_large`: 15 inverted residuals, a 1x1 conv to 960,
//! classifier = Linear(960, 1280), Hardswish, Dropout(0.2), Linear.
struct MobileNetV3Large
    : backbone_descriptor<
          "MobileNetV3Large", mobilenet_v3_family, owns<Stem, "features.0.">,
          owns<Stage0, "features.1.">, owns<Stage1, "features.2.", "features.3.">,
          owns<Stage2, "features.4.", "features.5.", "features.6.">,
          owns<Stage3, "features.7.", "features.8.", "features.9.", "features.10.">,
          owns<Stage4, "features.11.", "features.12.">,
          owns<Stage5, "features.13.", "features.14.", "features.15.">,
          owns<LastConv, "features.16.">, owns<Head, "classifier.">> {
    //! torchvision's table (width 1.0, no dilation).
    static constexpr std::array<mobilenet_v3_block, 15> table{
        {{16, 3, 16, 16, false, false, 1},
         {16, 3, 64, 24, false, false, 2},
         {24, 3, 72, 24, false, false, 1},
         {24, 5, 72, 40, true, false, 2},
         {40, 5, 120, 40, true, false, 1},
         {40, 5, 120, 40, true, false, 1},
         {40, 3, 240, 80, false, true, 2},
         {80, 3, 200, 80, false, true, 1},
         {80, 3, 184, 80, false, true, 1},
         {80, 3, 184, 80, false, true, 1},
         {80, 3, 480, 112, true, true, 1},
         {112, 3, 672, 112, true, true, 1},
         {112, 5, 672, 160, true, true, 2},
         {160, 5, 960, 160, true, true, 1},
         {160, 5, 960, 160, true, true, 1}}};
    static constexpr int features = 1280;
    static constexpr std::string_view replaced_head = "classifier.3.";
    static constexpr std::string_view stem_conv = "features.0.0.weight";
    static constexpr double default_head_dropout = 0.2;
    static constexpr std::string_view weights_name = "mobilenet_v3_large";
    static std::vector<std::string> torchvision_files() {
        return {"mobilenet_v3_large-5c1a4163.pth", "mobilenet_v3_large-8738ca79.pth"};
    }
};

} // namespace pipeline
