// MobileNet backbone tags: v1 (timm's `mobilenetv1_100` layout), v2 and v3 Small/Large
// (torchvision's). Each declares its named blocks in data-flow order and the state-dict
// prefixes each block owns. StageS is timm's `blocks.S` (a run of blocks with the same
// output channels); for torchvision's MobileNets the same blocks are `features.N`.
// Torch-free.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include <boost/hana/contains.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>

#include <pipeline/dsl/blocks.hpp>
#include <pipeline/dsl/fixed_string.hpp>
#include <pipeline/dsl/tags.hpp>

namespace pipeline {

enum class mobilenet_version { v1, v2, v3_small, v3_large };

namespace detail {
//! A block name and the prefixes it owns.
struct block_prefixes {
    std::string_view block;
    std::vector<std::string_view> prefixes;
};

inline std::vector<std::string_view> find_prefixes(std::vector<block_prefixes> const& table,
                                                   std::string_view block) {
    for (auto const& row : table)
        if (row.block == block)
            return row.prefixes;
    return {};
}

template <fixed_string Name, mobilenet_version V, class... Blocks>
struct mobilenet_backbone : backbone_tag, named<Name> {
    static constexpr mobilenet_version version = V;
    //! Blocks in data-flow order (see `parameter_prefixes` for what each owns).
    static constexpr auto blocks = boost::hana::tuple_t<Blocks...>;
    template <class Block>
    static constexpr bool has_block = boost::hana::contains(blocks,
                                                            boost::hana::type_c<Block>);
};
} // namespace detail

//! timm's `mobilenetv1_100`: a 3x3 stride-2 stem to 32 channels, then 13 depthwise-
//! separable blocks (ReLU6) in five stages of 1, 2, 2, 6, 2 blocks with 64, 128, 256,
//! 512, 1024 output channels. The ImageNet weights in shared/data use this layout.
struct MobileNetV1
    : detail::mobilenet_backbone<"MobileNetV1", mobilenet_version::v1, Stem, Stage0, Stage1,
                                 Stage2, Stage3, Stage4, Head> {
    static constexpr int features = 1024;
    template <class Block>
    static constexpr bool require_block() {
        static_assert(
            has_block<Block>,
            "pipeline: the block named is not a block of MobileNetV1 (it has Stem, "
            "Stage0, Stage1, Stage2, Stage3, Stage4, Head)");
        return has_block<Block>;
    }
    //! Stem = conv_stem, bn1; StageS = blocks.S; Head = classifier.
    static std::vector<std::string_view> parameter_prefixes(std::string_view block) {
        static std::vector<detail::block_prefixes> const table{
            {"Stem", {"conv_stem.", "bn1."}}, {"Stage0", {"blocks.0."}},
            {"Stage1", {"blocks.1."}},        {"Stage2", {"blocks.2."}},
            {"Stage3", {"blocks.3."}},        {"Stage4", {"blocks.4."}},
            {"Head", {"classifier."}}};
        return detail::find_prefixes(table, block);
    }
};

//! torchvision's `mobilenet_v2`: inverted residuals (t, c, n, s) = (1,16,1,1),
//! (6,24,2,2), (6,32,3,2), (6,64,4,2), (6,96,3,1), (6,160,3,2), (6,320,1,1), then a 1x1
//! conv to 1280 channels; classifier = Dropout(0.2), Linear.
struct MobileNetV2
    : detail::mobilenet_backbone<"MobileNetV2", mobilenet_version::v2, Stem, Stage0, Stage1,
                                 Stage2, Stage3, Stage4, Stage5, Stage6, LastConv, Head> {
    static constexpr int features = 1280;
    template <class Block>
    static constexpr bool require_block() {
        static_assert(
            has_block<Block>,
            "pipeline: the block named is not a block of MobileNetV2 (it has Stem, "
            "Stage0, Stage1, Stage2, Stage3, Stage4, Stage5, Stage6, LastConv, "
            "Head)");
        return has_block<Block>;
    }
    //! Stem = features.0; Stage0 = features.1; Stage1 = features.2-3; Stage2 =
    //! features.4-6; Stage3 = features.7-10; Stage4 = features.11-13; Stage5 =
    //! features.14-16; Stage6 = features.17; LastConv = features.18; Head = classifier.
    static std::vector<std::string_view> parameter_prefixes(std::string_view block) {
        static std::vector<detail::block_prefixes> const table{
            {"Stem", {"features.0."}},
            {"Stage0", {"features.1."}},
            {"Stage1", {"features.2.", "features.3."}},
            {"Stage2", {"features.4.", "features.5.", "features.6."}},
            {"Stage3", {"features.7.", "features.8.", "features.9.", "features.10."}},
            {"Stage4", {"features.11.", "features.12.", "features.13."}},
            {"Stage5", {"features.14.", "features.15.", "features.16."}},
            {"Stage6", {"features.17."}},
            {"LastConv", {"features.18."}},
            {"Head", {"classifier."}}};
        return detail::find_prefixes(table, block);
    }
};

//! torchvision's `mobilenet_v3_small`: 11 inverted residuals (squeeze-excitation,
//! hard-swish), a 1x1 conv to 576, classifier = Linear(576, 1024), Hardswish,
//! Dropout(0.2), Linear.
struct MobileNetV3Small
    : detail::mobilenet_backbone<"MobileNetV3Small", mobilenet_version::v3_small, Stem,
                                 Stage0, Stage1, Stage2, Stage3, Stage4, LastConv, Head> {
    static constexpr int features = 1024;
    template <class Block>
    static constexpr bool require_block() {
        static_assert(
            has_block<Block>,
            "pipeline: the block named is not a block of MobileNetV3Small (it has "
            "Stem, Stage0, Stage1, Stage2, Stage3, Stage4, LastConv, Head)");
        return has_block<Block>;
    }
    //! Stem = features.0; Stage0 = features.1; Stage1 = features.2-3; Stage2 =
    //! features.4-6; Stage3 = features.7-8; Stage4 = features.9-11; LastConv =
    //! features.12; Head = classifier.
    static std::vector<std::string_view> parameter_prefixes(std::string_view block) {
        static std::vector<detail::block_prefixes> const table{
            {"Stem", {"features.0."}},
            {"Stage0", {"features.1."}},
            {"Stage1", {"features.2.", "features.3."}},
            {"Stage2", {"features.4.", "features.5.", "features.6."}},
            {"Stage3", {"features.7.", "features.8."}},
            {"Stage4", {"features.9.", "features.10.", "features.11."}},
            {"LastConv", {"features.12."}},
            {"Head", {"classifier."}}};
        return detail::find_prefixes(table, block);
    }
};

//! torchvision's `mobilenet_v3_large`: 15 inverted residuals, a 1x1 conv to 960,
//! classifier = Linear(960, 1280), Hardswish, Dropout(0.2), Linear.
struct MobileNetV3Large
    : detail::mobilenet_backbone<"MobileNetV3Large", mobilenet_version::v3_large, Stem,
                                 Stage0, Stage1, Stage2, Stage3, Stage4, Stage5, LastConv,
                                 Head> {
    static constexpr int features = 1280;
    template <class Block>
    static constexpr bool require_block() {
        static_assert(
            has_block<Block>,
            "pipeline: the block named is not a block of MobileNetV3Large (it has "
            "Stem, Stage0, Stage1, Stage2, Stage3, Stage4, Stage5, LastConv, Head)");
        return has_block<Block>;
    }
    //! Stem = features.0; Stage0 = features.1; Stage1 = features.2-3; Stage2 =
    //! features.4-6; Stage3 = features.7-10; Stage4 = features.11-12; Stage5 =
    //! features.13-15; LastConv = features.16; Head = classifier.
    static std::vector<std::string_view> parameter_prefixes(std::string_view block) {
        static std::vector<detail::block_prefixes> const table{
            {"Stem", {"features.0."}},
            {"Stage0", {"features.1."}},
            {"Stage1", {"features.2.", "features.3."}},
            {"Stage2", {"features.4.", "features.5.", "features.6."}},
            {"Stage3", {"features.7.", "features.8.", "features.9.", "features.10."}},
            {"Stage4", {"features.11.", "features.12."}},
            {"Stage5", {"features.13.", "features.14.", "features.15."}},
            {"LastConv", {"features.16."}},
            {"Head", {"classifier."}}};
        return detail::find_prefixes(table, block);
    }
};

} // namespace pipeline
