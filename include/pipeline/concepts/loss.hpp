// Extension point: losses (the argument of Loss<...>). Specification and concepts, in the
// manner of dlib's *_abstract.h headers. Torch-free.
//
// A loss is two pieces:
//
//  1. A tag (type layer, dsl/losses.hpp): an empty type deriving from `loss_tag` with
//       static std::string name();
//       static constexpr double smoothing;             label smoothing it applies (0: none)
//       static constexpr bool accepts_soft_targets;    whether MixUp/CutMix may feed it
//     The rules read both: soft targets need a loss that accepts them, and smoothing must
//     not be applied twice (dsl/augment_rules.hpp).
//
//  2. Its tensor side (train/loss.hpp), `loss_function<L>`:
//       static torch::Tensor compute(torch::Tensor const& logits, torch::Tensor const& t);
//           the batch mean, `t` hard labels (int64 [B]) or soft targets (float [B, K]).
//     The primary template implements the cross-entropy family from `smoothing` and
//     `accepts_soft_targets`; a loss with other arithmetic specialises it.
//
// Validation and test losses are always the unsmoothed cross-entropy, so they compare
// across losses. CrossEntropy, SoftTargetCE and SmoothedCE<eps> are numbers in the
// experiment's specification (dsl/spec.hpp); a loss of your own enters it through
// `erased_loss<L>::make` (`#include <pipeline/extend.hpp>` where you specialise
// loss_function<L>), so only its code is compiled in your file.
#pragma once

#include <concepts>
#include <string>

#include <pipeline/dsl/tags.hpp>

namespace pipeline {

//! The tensor side of loss L (train/loss.hpp).
template <class L>
struct loss_function;

//! The one interface of a loss as the core calls it (train/loss.hpp), and `make()` of
//! loss L behind it, defined there for every L.
class loss_op;
template <class L>
struct erased_loss;

//! A complete loss tag.
template <class L>
concept loss_spec = is_loss<L> && requires {
    { L::name() } -> std::convertible_to<std::string>;
    { L::smoothing } -> std::convertible_to<double>;
    { L::accepts_soft_targets } -> std::convertible_to<bool>;
};

} // namespace pipeline
