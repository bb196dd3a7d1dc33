// The training loop: `fit(experiment, options)` checks the run's options, reads and cuts
// the data, builds the trainer (model, optimizer, transfer plan, weight average), runs the
// epochs, and tests and exports the result. It takes the experiment's specification
// (dsl/spec.hpp) and is compiled once (train/impl/fit.ipp: in pipeline::core, or inline
// when header-only); `fit(pipeline, options)` is the typed front's door to it.
#pragma once

#include <pipeline/config.hpp>
#include <pipeline/dsl/rules.hpp>
#include <pipeline/dsl/spec.hpp>
#include <pipeline/record/lr_find.hpp>
#include <pipeline/record/result.hpp>
#include <pipeline/record/run_options.hpp>

namespace pipeline {

//! Trains experiment `e` and evaluates it on the test set.
PIPELINE_DECL run_result fit(spec::experiment const& e, run_options const& options = {});

//! Trains the experiment `p` and evaluates it on the test set.
//!
//!     auto const result = fit(experiment, {.device = "cpu", .seed = 1});
template <class... S>
run_result fit(Pipeline<S...>, run_options const& options = {}) {
    static_assert(validate(Pipeline<S...>{}));
    return fit(spec_of<Pipeline<S...>>, options);
}

//! The learning-rate finder on experiment `e` (`--find-lr`): builds the run as `fit`
//! would, sweeps the rate as `options.lr_sweep` says (trainer::find_lr), puts the model
//! back, prints the suggestions and writes `lr-find-<hash>.md`, `.csv` and `.svg` into
//! `options.out_dir`. One process only: a launched data-parallel job is refused.
PIPELINE_DECL lr_finding find_lr(spec::experiment const& e,
                                 run_options const& options = {});

//! The learning-rate finder on the experiment `p`.
//!
//!     auto const found = find_lr(experiment, {.device = "cpu"});
//!     double const lr = found.valley.lr;
template <class... S>
lr_finding find_lr(Pipeline<S...>, run_options const& options = {}) {
    static_assert(validate(Pipeline<S...>{}));
    return find_lr(spec_of<Pipeline<S...>>, options);
}

} // namespace pipeline

#if defined(PIPELINE_HEADER_ONLY)
#include <pipeline/train/impl/fit.ipp>
#endif
