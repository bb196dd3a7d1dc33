// `run(experiment, argc, argv)`: the standard command line every experiment gets for
// free (CLI11), around `fit`. Errors in the user's input end the program with one line
// and exit code 1; --help prints the experiment and the options.
#pragma once

#include <cstdint>
#include <exception>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>
#include <torch/torch.h>

#include <pipeline/dsl.hpp>
#include <pipeline/error.hpp>
#include <pipeline/train/fit.hpp>

namespace pipeline {

//! Adds the standard options to `app`, writing into `options`.
inline void add_run_options(CLI::App& app, run_options& options) {
    app.add_option("--device", options.device, "cpu, cuda, cuda:N or auto")
        ->capture_default_str();
    app.add_option("--data-dir", options.data_dir,
                   "where the dataset lives (default: $PIPELINE_DATA_DIR, then the system "
                   "location)");
    app.add_option("--weights-dir", options.weights_dir,
                   "where Pretrained<...> finds weights (default: $PIPELINE_WEIGHTS_DIR, "
                   "then $XDG_CACHE_HOME/pipeline/weights, then "
                   "~/.cache/pipeline/weights)");
    app.add_option("--out-dir", options.out_dir,
                   "each run writes a new directory here (empty: write nothing)")
        ->capture_default_str();
    app.add_option("--seed", options.seed, "seed of every random stream")
        ->capture_default_str();
    app.add_option("--epochs", options.epochs, "override Train<{.epochs}> (smoke runs)")
        ->check(CLI::PositiveNumber);
    app.add_option("--limit", options.limit,
                   "train on the first N examples (overrides Subset<N>)")
        ->check(CLI::PositiveNumber);
    app.add_option("--eval-limit", options.eval_limit,
                   "evaluate on the first N validation and test examples")
        ->check(CLI::PositiveNumber);
    app.add_option("--threads", options.threads, "intra-op CPU threads (0: every core)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    app.add_option(
        "--resume", options.resume,
        "continue the run whose checkpoint.safetensors (or run directory) this is, "
        "in a new run directory");
    app.add_option("--stop-after", options.stop_after,
                   "end the run after epoch N, keeping its checkpoint for --resume")
        ->check(CLI::PositiveNumber);
}

// clang-format off
//! Parses the command line and trains the experiment. Returns the process exit code.
//!
//!     constexpr auto experiment = Load<FashionMNIST>
//!                               | Model<ResNet18>
//!                               | Loss<CrossEntropy>;
//!
//!     int main(int argc, char** argv) { return pipeline::run(experiment, argc, argv); }
// clang-format on
template <class... S>
int run(Pipeline<S...>, int argc, char** argv) {
    // Validate first and expand the loop only for a valid pipeline, so a broken pipeline
    // stops at its rule's message rather than deep inside fit().
    if constexpr (!validate(Pipeline<S...>{})) {
        return 2;
    } else {
        run_options options;
        CLI::App app{"experiment: " + describe(Pipeline<S...>{})};
        add_run_options(app, options);
        try {
            app.parse(argc, argv);
        } catch (CLI::ParseError const& e) {
            return app.exit(e);
        }
        try {
            fit(Pipeline<S...>{}, options);
            return 0;
        } catch (pipeline::error const& e) {
            std::cerr << "error: " << e.what() << "\n";
        } catch (c10::Error const& e) {
            std::cerr << "error: LibTorch: " << e.what_without_backtrace() << "\n";
        } catch (std::exception const& e) {
            std::cerr << "error: " << e.what() << "\n";
        }
        return 1;
    }
}

} // namespace pipeline
