// Extension point: optimizers (the argument of Optimizer<...>). Specification and
// concepts, in the manner of dlib's *_abstract.h headers. Torch-free.
//
// An optimizer is two pieces:
//
//  1. A tag (type layer, dsl/optimizers.hpp): an empty type deriving from `optimizer_tag`,
//     a class template over its hyperparameters' structural struct whose user-facing name
//     is its default (`using SGD = detail::sgd<SgdParams{}>`), tunable as
//     `Optimizer<SGD, {.lr = 0.1}>` (it derives from `tuned_by<sgd, P>`,
//     dsl/tunable.hpp), range-checked by static_asserts, with
//       static std::string name();        the name and the fields that differ from their
//                                         defaults, as the stage's arguments
//       static constexpr double lr;       the base rate the schedule scales
//
//  2. Its tensor side (train/optimizer.hpp), a specialisation of `optimizer_builder<O>`:
//       static constexpr double weight_decay;
//       static built_optimizer make(std::vector<block_parameters> const& blocks,
//                                   std::optional<bool> multi_tensor = std::nullopt);
//           a LibTorch optimizer with two groups per backbone block (`Layer3.decay`,
//           `Layer3.no_decay`: no weight decay on BatchNorm and bias parameters), each
//           block's rate factor applied; multi-tensor (_foreach_) steps on CUDA.
//     Per-parameter state must be SGD's or AdamW's state types, which checkpoints save
//     (record/checkpoint.hpp), or the checkpoint code learns the new type.
//
// SGD and AdamW are numbers in the experiment's specification (dsl/spec.hpp); an optimizer
// of your own enters it through `erased_optimizer<O>::make` (defined with the tensor code,
// train/optimizer.hpp; `#include <pipeline/extend.hpp>` where you specialise
// optimizer_builder<O>), so only its code is compiled in your file.
#pragma once

#include <concepts>
#include <string>

#include <pipeline/dsl/tags.hpp>

namespace pipeline {

//! The tensor side of optimizer O: specialised in train/optimizer.hpp.
template <class O>
struct optimizer_builder;

//! Tensor-side types an optimizer's builder takes and returns (train/optimizer.hpp,
//! train/transfer.hpp).
struct built_optimizer;
struct block_parameters;

//! `make(blocks, multi_tensor)` of optimizer O's builder, as the core calls it: defined in
//! train/optimizer.hpp for every O.
template <class O>
struct erased_optimizer;

//! A complete optimizer tag.
template <class O>
concept optimizer_spec = is_optimizer<O> && requires {
    { O::name() } -> std::convertible_to<std::string>;
    { O::lr } -> std::convertible_to<double>;
};

//! An optimizer whose tensor side is visible: `optimizer_builder<O>` with its weight decay
//! (what the printed plan reports) and `make`.
template <class O>
concept implemented_optimizer = optimizer_spec<O> && requires {
    { optimizer_builder<O>::weight_decay } -> std::convertible_to<double>;
    &optimizer_builder<O>::make;
};

} // namespace pipeline
