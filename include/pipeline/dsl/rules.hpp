// Whole-pipeline rules: what a pipeline needs before it can run, and (through the rule
// headers it calls: schedule_rules, size_rules, augment_rules) what its stages must agree
// on. Each rule is a trait first (`pipeline::rules::...`, testable with static_assert
// either way) and a static_assert in `validate` second. `run` calls `validate` before it
// expands anything, so a broken pipeline stops at the rule's message, not in the training
// loop.
#pragma once

#include <pipeline/dsl/augment_rules.hpp>
#include <pipeline/dsl/pipeline.hpp>
#include <pipeline/dsl/schedule_rules.hpp>
#include <pipeline/dsl/size_rules.hpp>

namespace pipeline {
namespace rules {

template <class P>
inline constexpr bool has_load = false;
template <class... S>
inline constexpr bool has_load<Pipeline<S...>> = count<stage_kind::load, S...> == 1;

template <class P>
inline constexpr bool has_model = false;
template <class... S>
inline constexpr bool has_model<Pipeline<S...>> = count<stage_kind::model, S...> == 1;

template <class P>
inline constexpr bool has_loss = false;
template <class... S>
inline constexpr bool has_loss<Pipeline<S...>> = count<stage_kind::loss, S...> == 1;

//! Every Unfreeze<Block, AtEpoch<N>> happens within the run: N <= Train<{.epochs}> (the
//! default Train<> when the stage is omitted). An unfreeze after the last epoch never
//! happens, which is a silent change of the experiment.
template <class P>
inline constexpr bool unfreeze_within_run = true;
template <class... S>
requires(count<stage_kind::model,
               S...> == 1) inline constexpr bool unfreeze_within_run<Pipeline<S...>> =
    stage_t<stage_kind::model, Pipeline<S...>>::transfer::last_unfreeze
    <= stage_t<stage_kind::train, resolved_t<Pipeline<S...>>>::params.epochs;

//! Everything `run` needs: a dataset, a model and a loss (the rest has defaults).
template <class P>
inline constexpr bool complete = has_load<P>&& has_model<P>&& has_loss<P>;

} // namespace rules

//! Checks the whole-pipeline rules; the first one broken stops compilation with its
//! message. Returns whether the pipeline may run, for `if constexpr` guards.
template <class... S>
constexpr bool validate(Pipeline<S...>) {
    using P = Pipeline<S...>;
    // Without data there is nothing to train on and no class count for the head.
    static_assert(rules::has_load<P>,
                  "pipeline: no Load<...> stage; start the pipeline with the data, e.g. "
                  "Load<FashionMNIST> | Model<ResNet18> | Loss<CrossEntropy>");
    static_assert(rules::has_model<P>,
                  "pipeline: no Model<...> stage; add the network to train after Load "
                  "(and any Augment), e.g. Model<ResNet18>");
    // No default loss: the choice (hard labels, smoothing, soft targets) interacts with
    // augmentation, so it must be written down.
    static_assert(rules::has_loss<P>,
                  "pipeline: no Loss<...> stage; add one after Model, e.g. "
                  "Loss<CrossEntropy> or Loss<SmoothedCE<0.1>>");
    static_assert(rules::unfreeze_within_run<P>,
                  "pipeline: an Unfreeze<Block, AtEpoch<N>> comes after the last epoch of "
                  "Train<{.epochs}> (10 when Train is omitted); lower N or train longer");
    return rules::complete<P> && rules::unfreeze_within_run<P> && validate_schedule(P{})
           && validate_sizes(P{}) && validate_augmentation(P{});
}

} // namespace pipeline
