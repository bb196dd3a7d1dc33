// Extension point: augmentations (the arguments of Augment<...>). Specification and
// concepts, in the manner of dlib's *_abstract.h headers. Torch-free.
//
// An augmentation is two pieces:
//
//  1. A tag (type layer, dsl/augmentations.hpp): an empty type deriving from
//     `augmentation_tag` with `static std::string name()` printing it as written
//     (`RandomCrop<32, 4>`); its hyperparameters are template arguments, range-checked by
//     static_asserts in the tag. A stage that changes the image side declares the side it
//     outputs (`static constexpr int output_size`, as RandomCrop and Resize do) and the
//     crop/size rules (dsl/augment_rules.hpp) follow it. Mixing stages (MixUp,
//     CutMix) derive from `detail::mixing_tag` and carry `MixParams mixing`. A name with
//     sensible defaults is a type tuned by the stage's second argument (its template
//     derives from `tuned_by`, dsl/tunable.hpp); one that needs a value stays a template.
//
//  2. Its tensor side (augment/<name>.hpp), a specialisation of `augmentation_impl<A>`:
//       static torch::Tensor train(torch::Tensor const& x, torch::Generator& gen);
//           the random transform of a whole normalised float batch [B, C, H, W] on its
//           device, every draw from `gen` (the stage's own stream, derived from the run's
//           seed and the stage's printed name, so adding a stage changes no other stage's
//           randomness);
//       static torch::Tensor eval(torch::Tensor const& x);
//           what evaluation batches get: the deterministic part (a centre crop, a resize),
//           the identity for purely random stages.
//     Mixing stages are implemented once, by `mix<A::mixing>` (augment/mixup.hpp).
//
// `Augment<A>` checks `augmentation_spec<A>`. The built-in augmentations are numbers in the
// experiment's specification (dsl/spec.hpp); an augmentation of your own must be
// `implemented_augmentation<A>` there, and enters the compiled core through
// `erased_augmentation<A>::make` (`#include <pipeline/extend.hpp>` where you specialise
// augmentation_impl<A>), so only its code is compiled in your file.
#pragma once

#include <concepts>
#include <string>

#include <pipeline/dsl/tags.hpp>

namespace pipeline {

//! The tensor side of augmentation A: specialised in its augment/ header.
template <class A>
struct augmentation_impl;

//! The one interface of an augmentation as the core calls it (augment/augmentation.hpp),
//! and `make()` of augmentation A behind it, defined there for every A.
class augmentation_op;
template <class A>
struct erased_augmentation;

//! A complete augmentation tag.
template <class A>
concept augmentation_spec = is_augmentation<A> && requires {
    { A::name() } -> std::convertible_to<std::string>;
};

//! An augmentation whose tensor side is visible (for mixing stages, `mix<A::mixing>`).
template <class A>
concept implemented_augmentation = augmentation_spec<A> &&(
    requires { A::mixing; } || requires { sizeof(augmentation_impl<A>); });

//! The image side after stage A, for the size rules: its `output_size` when it declares
//! one (RandomCrop, Resize, and any augmentation of your own that resizes), else 0 (the
//! side does not change).
template <class A>
constexpr int output_size_of() {
    if constexpr (requires { A::output_size; })
        return A::output_size;
    else
        return 0;
}

} // namespace pipeline
