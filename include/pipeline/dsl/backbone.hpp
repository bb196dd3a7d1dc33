// What a backbone descriptor is made of: its named blocks in data-flow order, each with
// the state-dict prefixes of the parameters it owns (`owns<Layer1, "layer1.">`), and the
// family that builds its module. One descriptor per backbone holds every fact about it;
// dsl/backbones/ has the descriptors, concepts/backbone.hpp the contract. Torch-free.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>

#include <pipeline/dsl/blocks.hpp>
#include <pipeline/dsl/fixed_string.hpp>
#include <pipeline/dsl/tags.hpp>

namespace pipeline {

//! `owns<Stem, "conv1.", "bn1.">`: the block `Stem` owns every parameter whose state-dict
//! name starts with one of the prefixes.
template <class Block, fixed_string... Prefixes>
struct owns {
    static_assert(is_block<Block>,
                  "pipeline: owns<Block, \"prefix.\"...> takes a block tag");
    static_assert(sizeof...(Prefixes) > 0,
                  "pipeline: owns<Block, \"prefix.\"...> needs at least one prefix");
    using block = Block;
    static constexpr std::array<std::string_view, sizeof...(Prefixes)> prefixes{
        Prefixes.view()...};
};

//! The per-channel statistics of the inputs a backbone's pretrained weights expect.
struct input_statistics {
    std::array<double, 3> mean;
    std::array<double, 3> std;
};

//! ImageNet's statistics, which torchvision's weights expect.
inline constexpr input_statistics imagenet_statistics{{0.485, 0.456, 0.406},
                                                      {0.229, 0.224, 0.225}};

//! The conventional file names of a backbone's ImageNet weights in the weights directory,
//! most preferred first: `<weights_name>.imagenet.safetensors`, then `.pth`.
inline std::vector<std::string> imagenet_file_names(std::string_view weights_name) {
    std::string const stem(weights_name);
    return {stem + ".imagenet.safetensors", stem + ".imagenet.pth"};
}

//! The common part of every backbone descriptor: its name, its family (which module
//! builds it: concepts/backbone.hpp) and its blocks with what they own.
template <fixed_string Name, class Family, class... Owned>
struct backbone_descriptor : backbone_tag, named<Name> {
    using family = Family;
    //! The blocks in data-flow order, as a Hana tuple of types: `Stem, Layer1, ..., Head`.
    static constexpr auto blocks = boost::hana::tuple_t<typename Owned::block...>;
    static constexpr std::size_t block_count = sizeof...(Owned);
    //! Their names, in the same order.
    static constexpr std::array<std::string_view, sizeof...(Owned)> block_names{
        Owned::block::word...};

    template <class Block>
    static constexpr bool has_block = (std::is_same_v<Block, typename Owned::block> || ...);

    //! Whether `Block` is one of the blocks; a block it lacks stops compilation here (a
    //! Frozen<...>, Unfreeze<...> or LrScale<...> naming it), the compiler's note above
    //! the message naming the backbone and what its blocks own.
    template <class Block>
    static constexpr bool require_block() {
        static_assert(has_block<Block>,
                      "pipeline: the block named is not a block of this backbone (the "
                      "'required from' lines above name the backbone and its blocks, "
                      "owns<Block, \"prefix.\">; docs/stages.md lists every backbone's "
                      "blocks)");
        return has_block<Block>;
    }

    //! Defaults a descriptor states only where it differs: no dropout before the
    //! classifier, ImageNet's input statistics, no CifarStem (a ResNet stem replacement).
    static constexpr double default_head_dropout = 0.0;
    static constexpr input_statistics statistics = imagenet_statistics;
    static constexpr bool supports_cifar_stem = false;

    //! The file names Pretrained<ImageNet> looks for in the weights directory, most
    //! preferred first: `<weights_name>.imagenet.safetensors`, then `.pth`, unless the
    //! descriptor names its own (`static std::vector<std::string> imagenet_files()`).
    //! File names of its ImageNet weights in torchvision's download cache
    //! ($TORCH_HOME/hub/checkpoints), most preferred first; none by default.
    static std::vector<std::string> torchvision_files() { return {}; }
    //! Hugging Face repositories whose model.safetensors holds its ImageNet weights with
    //! its own parameter names (timm's `resnet18.tv_in1k` has torchvision's), most
    //! preferred first; none by default.
    static std::vector<std::string> hf_repos() { return {}; }

    //! The state-dict name prefixes block `block` owns; empty for a block it lacks.
    static std::vector<std::string_view> parameter_prefixes(std::string_view block) {
        std::vector<std::string_view> out;
        auto add = [&]<class O>() {
            if (O::block::word == block)
                out.assign(O::prefixes.begin(), O::prefixes.end());
        };
        (add.template operator()<Owned>(), ...);
        return out;
    }
};

} // namespace pipeline
