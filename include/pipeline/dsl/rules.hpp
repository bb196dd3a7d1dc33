// Whole-pipeline rules: what a pipeline needs before it can run, and (through the rule
// headers it calls: schedule_rules, size_rules, augment_rules) what its stages must agree
// on. Each rule is a trait first (`pipeline::rules::...`, testable with static_assert
// either way) and a static_assert in `validate` second. `run` calls `validate` before it
// expands anything, so a broken pipeline stops at the rule's message, not in the training
// loop.
#pragma once

#include <type_traits>

#include <pipeline/dsl/augment_rules.hpp>
#include <pipeline/dsl/execution.hpp>
#include <pipeline/dsl/pipeline.hpp>
#include <pipeline/dsl/precision.hpp>
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

//! The options of P's Execute stage and its Precision stage's number format (the
//! defaults without them).
template <class P>
inline constexpr ExecutionParams execution_of = [] {
    if constexpr (std::is_same_v<stage_t<stage_kind::execute, P>, no_stage>)
        return ExecutionParams{};
    else
        return stage_t<stage_kind::execute, P>::params;
}();
template <class P>
inline constexpr precision_kind precision_of = [] {
    if constexpr (std::is_same_v<stage_t<stage_kind::precision, P>, no_stage>)
        return precision_kind::fp32;
    else
        return stage_t<stage_kind::precision, P>::format::precision.kind;
}();

//! Execute<CudaGraph> replays one captured step: what the step does may not depend on a
//! value read back on the host. FP16's loss scale decides on the host whether to skip
//! the update (GradScaler's found-inf read), so a replay would repeat the capture's
//! decision; BF16 needs no scale.
template <class P>
inline constexpr bool graph_without_loss_scale =
    !execution_of<P>.cuda_graph || precision_of<P> != precision_kind::fp16;

//! Execute<CudaGraph> and Distributed<DDP> are not combined: the data-parallel step's
//! all-reduce is issued by autograd hooks into buckets rebuilt on the host, which a
//! replay would not redo.
template <class P>
inline constexpr int distributed_stages = 0;
template <class... S>
inline constexpr int distributed_stages<Pipeline<S...>> =
    count<stage_kind::distributed, S...>;
template <class P>
inline constexpr bool graph_single_process =
    !execution_of<P>.cuda_graph || distributed_stages<std::remove_cv_t<P>> == 0;

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
    static_assert(rules::graph_without_loss_scale<P>,
                  "pipeline: Execute<CudaGraph> cannot replay Precision<FP16>'s loss "
                  "scaling (it reads the host to skip a step); use Precision<BF16>, which "
                  "needs no loss scale, or drop CudaGraph");
    static_assert(rules::graph_single_process<P>,
                  "pipeline: Execute<CudaGraph> and Distributed<DDP> do not combine (the "
                  "all-reduce runs from hooks a replay does not redo); drop one of them");
    return rules::complete<
               P> && rules::unfreeze_within_run<P> && rules::graph_without_loss_scale<P> && rules::graph_single_process<P> && validate_schedule(P{})
           && validate_sizes(P{}) && validate_augmentation(P{});
}

} // namespace pipeline
