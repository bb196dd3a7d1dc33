// The rules that tie the Schedule stage to the run's length (Train<{.epochs}>) and to the
// Optimizer's rate: a warm-up, a step decay or a floor that the run never reaches is a
// schedule that silently does something else than it says. Each rule is a trait
// (`pipeline::rules::...`) and a static_assert in `validate_schedule`, which `validate`
// calls; the same conditions, as functions of the number of epochs, serve the run-time
// check of an `--epochs` override (dsl/run_checks.hpp). Torch-free.
#pragma once

#include <pipeline/dsl/pipeline.hpp>
#include <pipeline/dsl/train_params.hpp>

namespace pipeline {

namespace detail {

//! The stages every resolved pipeline has (the defaults fill them in): its schedule, its
//! optimizer and its training parameters.
template <class P>
struct run_stages {
    using resolved = resolved_t<P>;
    using schedule = typename stage_t<stage_kind::schedule, resolved>::schedule;
    using optimizer = typename stage_t<stage_kind::optimizer, resolved>::optimizer;
    static constexpr TrainParams train = stage_t<stage_kind::train, resolved>::params;
};

//! A schedule's warm-up in epochs (Cosine's and Step's `.warmup_epochs`), 0 without one.
template <class S>
constexpr double warmup_epochs_of() {
    if constexpr (requires { S::params.warmup_epochs; })
        return S::params.warmup_epochs;
    else
        return 0.0;
}

//! The epochs between a step schedule's decays (Step's `.every_epochs`), 0 for others.
template <class S>
constexpr int decay_every_of() {
    if constexpr (requires { S::params.every_epochs; })
        return S::params.every_epochs;
    else
        return 0;
}

//! A warm-up of w epochs ends inside a run of `epochs` when w < epochs. Its steps,
//! llround(w * steps_per_epoch), then never exceed the run's, so the clamp to the run's
//! length in train/schedule.hpp never shortens it.
template <class S>
constexpr bool warmup_ends_within(int epochs) {
    return warmup_epochs_of<S>() < epochs;
}

//! A step decay happens in a run of `epochs` when the epoch index every_epochs (epochs
//! count from 0 in StepLR's formula) is one of the run's: every_epochs < epochs.
template <class S>
constexpr bool step_decays_within(int epochs) {
    return decay_every_of<S>() == 0 || decay_every_of<S>() < epochs;
}

} // namespace detail

namespace rules {

//! The schedule's warm-up (Cosine, Step) ends before the run does; one as long as the run
//! would leave no step for the decay it warms up to.
template <class P>
inline constexpr bool warmup_within_run =
    detail::warmup_ends_within<typename detail::run_stages<P>::schedule>(
        detail::run_stages<P>::train.epochs);

//! A Step schedule decays at least once in the run; otherwise it is a constant rate that
//! prints as a step decay.
template <class P>
inline constexpr bool step_decays_within_run =
    detail::step_decays_within<typename detail::run_stages<P>::schedule>(
        detail::run_stages<P>::train.epochs);

//! Cosine's floor (`.min_lr`) lies below the optimizer's rate, which it decays from; at or
//! above it, the "decay" is flat or rises.
template <class P>
inline constexpr bool min_lr_below_lr = [] {
    using S = typename detail::run_stages<P>::schedule;
    using O = typename detail::run_stages<P>::optimizer;
    if constexpr (requires { S::params.min_lr; })
        return S::params.min_lr < O::lr;
    else
        return true;
}();

//! All schedule rules.
template <class P>
inline constexpr bool schedule_valid =
    warmup_within_run<P>&& step_decays_within_run<P>&& min_lr_below_lr<P>;

} // namespace rules

//! Checks the schedule rules; the first one broken stops compilation with its message.
template <class... S>
constexpr bool validate_schedule(Pipeline<S...>) {
    using P = Pipeline<S...>;
    static_assert(rules::warmup_within_run<P>,
                  "pipeline: the warm-up of Schedule<..., {.warmup_epochs}> is not shorter "
                  "than the run, Train<{.epochs}> (10 when Train is omitted), so the "
                  "schedule would never get past it; shorten the warm-up or train longer");
    static_assert(
        rules::step_decays_within_run<P>,
        "pipeline: Schedule<Step, {.every_epochs}> first decays after the last "
        "epoch of Train<{.epochs}> (10 when Train is omitted; epochs count from 0, "
        "so a decay needs every_epochs < epochs), so the rate would never change; "
        "lower every_epochs or train longer");
    static_assert(
        rules::min_lr_below_lr<P>,
        "pipeline: Schedule<Cosine, {.min_lr}> is not below the rate of "
        "Optimizer<...> ({.lr}, the rate the cosine decays from), so the rate would "
        "not decay; lower min_lr or raise the optimizer's lr");
    return rules::schedule_valid<P>;
}

} // namespace pipeline
