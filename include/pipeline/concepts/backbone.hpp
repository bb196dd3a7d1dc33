// Extension point: backbones. Specification and concepts, in the manner of dlib's
// *_abstract.h headers. Torch-free.
//
// A backbone is two pieces:
//
//  1. A descriptor (type layer, dsl/backbones/<family>.hpp): an empty type deriving from
//     `backbone_descriptor<"Name", Family, owns<Block, "prefix."...>...>`
//     (dsl/backbone.hpp) that lists the named blocks in data-flow order with the state-dict
//     prefixes each owns (every parameter of the module must fall under exactly one block;
//     the rules on Frozen/Unfreeze/LrScale check block names against this list), and adds
//       features              channels entering the replaced classifier (int)
//       replaced_head         the classifier's prefix: never loaded from pretrained weights
//       stem_conv             the first convolution's weight (1-channel adaptation,
//       CifarStem) weights_name          the stem of its weights files (`resnet18`)
//     and, where it differs from backbone_descriptor's default,
//       default_head_dropout  dropout before the classifier unless HeadDropout<p> is given
//       (0) statistics            the input mean/std its pretrained weights expect
//       (ImageNet's) imagenet_files()      the file names Pretrained<ImageNet> looks for
//                             (`<weights_name>.imagenet.safetensors`, then `.pth`)
//       torchvision_files(), hf_repos()   other caches holding its weights (none)
//       supports_cifar_stem   whether CifarStem applies (false; ResNets: true)
//     and whatever its family needs to build the module (ResNets: `layers`, `bottleneck`).
//
//  2. A module (tensor layer, models/<family>.hpp) whose parameter names are the reference
//     implementation's (torchvision's, timm's), registered for the family by specialising
//     `backbone_builder<B>` for every B of that family:
//
//         template <class B>
//         requires std::same_as<typename B::family, my_family>
//         struct pipeline::backbone_builder<B> {
//             using module_type = my::MyNet;                // a torch::nn::ModuleHolder
//             static module_type make(pipeline::model_config const&);
//         };
//
//     (Outside namespace pipeline, qualify model_config: GCC does not look names up in
//     the namespace of a class specialised by its qualified name.)
//
//     The module runs block by block: `block_count()` equals B::block_count and
//     `forward_block(i, x)` for i = 0, 1, ... in turn equals `forward(x)`, so that a
//     frozen prefix runs under no-grad (models/backbone.hpp checks it as `block_module`).
//
// Adding a backbone of an existing family is one descriptor (and, for a built-in family,
// nothing else: the experiment's specification carries what its module needs). A family
// of your own is a descriptor and a module with its builder; `#include
// <pipeline/extend.hpp>` where you specialise backbone_builder, and the compiled core runs
// it through `backbone_network` (models/backbone.hpp). tests/unit/models/ holds the checks
// every backbone must pass (parameter counts, block ownership, block-wise forward,
// parity); tests/consumer/custom_stages.cpp trains a backbone of a user's own.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <pipeline/dsl/tags.hpp>

namespace pipeline {

//! What the Model stage and the dataset decide about a backbone's module.
struct model_config {
    std::int64_t in_channels = 3;
    std::int64_t num_classes = 1000;
    //! ResNets only: 3x3 stride-1 first conv, no max-pool.
    bool cifar_stem = false;
    //! Dropout before the final Linear; negative: the descriptor's default.
    double head_dropout = -1.0;
};

//! The module of backbone B: specialised once per family, in the family's module header.
template <class B>
struct backbone_builder;

//! The one interface of a backbone's module as the core calls it (models/backbone.hpp),
//! and `make(config)` of backbone B behind it, defined there for every buildable B.
class backbone_network;
template <class B>
struct erased_backbone;

//! A complete backbone descriptor.
template <class B>
concept backbone_spec = is_backbone<B> && requires(std::string_view block) {
    typename B::family;
    B::blocks;
    { B::block_count } -> std::convertible_to<std::size_t>;
    { B::block_names[0] } -> std::convertible_to<std::string_view>;
    { B::parameter_prefixes(block) } -> std::same_as<std::vector<std::string_view>>;
    { B::features } -> std::convertible_to<int>;
    { B::replaced_head } -> std::convertible_to<std::string_view>;
    { B::stem_conv } -> std::convertible_to<std::string_view>;
    { B::default_head_dropout } -> std::convertible_to<double>;
    { B::weights_name } -> std::convertible_to<std::string_view>;
    { B::statistics.mean[0] } -> std::convertible_to<double>;
    { B::statistics.std[0] } -> std::convertible_to<double>;
    { B::supports_cifar_stem } -> std::convertible_to<bool>;
};

//! A backbone whose family has a module builder (include its models/ header).
template <class B>
concept buildable_backbone = backbone_spec<B> && requires(model_config const& c) {
    backbone_builder<B>::make(c);
};

} // namespace pipeline
