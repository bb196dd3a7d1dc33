// `run(experiment, argc, argv)`: the standard command line every experiment gets for
// free, around `fit`. The typed front: it checks the pipeline at compile time (its rules'
// messages are the first error of a broken one) and hands its specification to the
// compiled core (app/program.hpp). Errors in the user's input end the program with one
// line and exit code 1; --help prints the experiment and the options. Torch-free.
#pragma once

#include <optional>

#include <pipeline/app/program.hpp>
#include <pipeline/app/seeds.hpp>
#include <pipeline/dsl.hpp>
#include <pipeline/dsl/spec.hpp>
#include <pipeline/record/run_options.hpp>

namespace pipeline {

//! Trains pipeline `p` once per seed, `options.seed` to `options.seed + seeds - 1`, and
//! summarises the seeds (app/seeds.hpp).
template <class... S>
seed_summary fit_seeds(Pipeline<S...>, run_options const& options, int seeds) {
    static_assert(validate(Pipeline<S...>{}));
    return fit_seeds(spec_of<Pipeline<S...>>, options, seeds);
}

//! `serve_seed_worker` (app/seeds.hpp) for a program of the given pipelines.
template <class... P>
std::optional<int> serve_seed_worker(run_options& options, int argc, char** argv,
                                     P... pipelines) {
    static_assert((validate(P{}) && ...));
    spec::experiment const* const experiments[] = {&spec_of<P>...};
    return serve_seed_worker(options, argc, argv, experiments);
}

// clang-format off
//! Parses the command line and trains the experiment (with --seeds N, once per seed, then
//! the summary over the seeds). Returns the process exit code.
//!
//!     constexpr auto experiment = Load<FashionMNIST>
//!                               | Model<ResNet18>
//!                               | Loss<CrossEntropy>;
//!
//!     int main(int argc, char** argv) { return pipeline::run(experiment, argc, argv); }
// clang-format on
template <class... S>
int run(Pipeline<S...>, int argc, char** argv) {
    // Validate first and resolve the specification only for a valid pipeline, so a broken
    // pipeline stops at its rule's message.
    if constexpr (!validate(Pipeline<S...>{})) {
        return 2;
    } else {
        return run_program(make_program<program_kind::run>({&spec_of<Pipeline<S...>>}), argc,
                           argv);
    }
}

} // namespace pipeline
