// Backbone tags and their named blocks (ResNets here, MobileNets in dsl/mobilenets.hpp).
// Blocks are the unit of every transfer-learning control (freezing, learning-rate scales,
// staged unfreezing), so each backbone declares them in data-flow order, at compile time.
// Torch-free.
#pragma once

#include <array>
#include <string_view>
#include <vector>

#include <boost/hana/contains.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>

#include <pipeline/dsl/blocks.hpp>
#include <pipeline/dsl/fixed_string.hpp>
#include <pipeline/dsl/mobilenets.hpp>
#include <pipeline/dsl/tags.hpp>

namespace pipeline {

namespace detail {
template <class Self, fixed_string Name, int L1, int L2, int L3, int L4, bool Bottleneck>
struct resnet_backbone : backbone_tag, named<Name> {
    //! Blocks in data-flow order, with the parameter-name prefixes they own:
    //! Stem = conv1, bn1; Layer1..4 = layer1..4; Head = fc.
    static constexpr auto blocks =
        boost::hana::tuple_t<Stem, Layer1, Layer2, Layer3, Layer4, Head>;
    static constexpr std::array<int, 4> layers{L1, L2, L3, L4};
    static constexpr bool bottleneck = Bottleneck;
    //! Channels entering the classifier.
    static constexpr int features = Bottleneck ? 2048 : 512;

    template <class Block>
    static constexpr bool has_block = boost::hana::contains(blocks,
                                                            boost::hana::type_c<Block>);

    //! Stops compilation, listing the blocks ResNets have, when `Block` is not one of
    //! them. Stages that name blocks (Frozen, LrScale, Unfreeze) call this first.
    template <class Block>
    static constexpr bool require_block() {
        static_assert(
            has_block<Block>,
            "pipeline: the block named is not a block of this ResNet (ResNets have "
            "Stem, Layer1, Layer2, Layer3, Layer4, Head)");
        return has_block<Block>;
    }

    //! The state-dict name prefixes a block owns (torchvision's names).
    static std::vector<std::string_view> parameter_prefixes(std::string_view block) {
        if (block == "Stem")
            return {"conv1.", "bn1."};
        if (block == "Layer1")
            return {"layer1."};
        if (block == "Layer2")
            return {"layer2."};
        if (block == "Layer3")
            return {"layer3."};
        if (block == "Layer4")
            return {"layer4."};
        if (block == "Head")
            return {"fc."};
        return {};
    }
};
} // namespace detail

//! torchvision's resnet18: BasicBlock, [2, 2, 2, 2], 11.7 M parameters with a 1000-way
//! head.
struct ResNet18 : detail::resnet_backbone<ResNet18, "ResNet18", 2, 2, 2, 2, false> {};
//! torchvision's resnet34: BasicBlock, [3, 4, 6, 3].
struct ResNet34 : detail::resnet_backbone<ResNet34, "ResNet34", 3, 4, 6, 3, false> {};
//! torchvision's resnet50: Bottleneck, [3, 4, 6, 3].
struct ResNet50 : detail::resnet_backbone<ResNet50, "ResNet50", 3, 4, 6, 3, true> {};

} // namespace pipeline
