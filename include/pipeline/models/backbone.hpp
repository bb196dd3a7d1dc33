// From a backbone descriptor to its module: `backbone_builder<B>::make(config)`, which each
// family's header specialises (concepts/backbone.hpp is the contract). This header brings
// every family in and names what the training loop relies on: a module that runs block by
// block, as its descriptor names the blocks.
#pragma once

#include <concepts>
#include <cstddef>

#include <torch/torch.h>

#include <pipeline/concepts/backbone.hpp>
#include <pipeline/dsl/backbones.hpp>
#include <pipeline/models/mobilenet_v1.hpp>
#include <pipeline/models/mobilenet_v2.hpp>
#include <pipeline/models/mobilenet_v3.hpp>
#include <pipeline/models/resnet.hpp>

namespace pipeline {

//! A module holder whose module runs one block at a time: `forward_block(i, x)` for
//! i = 0 .. block_count() - 1 in turn is `forward(x)`.
template <class M>
concept block_module = requires(M& m, torch::Tensor x, std::size_t i) {
    { m->block_count() } -> std::convertible_to<std::size_t>;
    { m->forward_block(i, x) } -> std::same_as<torch::Tensor>;
    { m->forward(x) } -> std::same_as<torch::Tensor>;
};

//! The module type of backbone B.
template <buildable_backbone B>
using backbone_module_t = typename backbone_builder<B>::module_type;

//! Builds the module of backbone B.
template <buildable_backbone B>
backbone_module_t<B> make_backbone(model_config const& config) {
    static_assert(block_module<backbone_module_t<B>>,
                  "pipeline: a backbone's module must run block by block (block_count(), "
                  "forward_block(i, x)); see concepts/backbone.hpp");
    return backbone_builder<B>::make(config);
}

} // namespace pipeline
