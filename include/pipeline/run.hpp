// `run(experiment, argc, argv)`: the standard command line every experiment gets for
// free (CLI11), around `fit`. Errors in the user's input end the program with one line
// and exit code 1; --help prints the experiment and the options.
#pragma once

#include <charconv>
#include <cstdint>
#include <exception>
#include <iostream>
#include <limits>
#include <string>
#include <system_error>

#include <CLI/CLI.hpp>
#include <torch/torch.h>

#include <pipeline/dsl.hpp>
#include <pipeline/error.hpp>
#include <pipeline/train/fit.hpp>

namespace pipeline {

namespace detail {
//! A CLI11 transform that accepts a decimal whole number of type T from `min` to T's
//! maximum and rewrites it in canonical form (CLI11 itself reads "010" as octal, and
//! "-1" or a number past the type's range as the largest unsigned value). Anything else
//! throws one pipeline::error, which CLI11 passes through: "--seed: expected a whole
//! number from 0 to 18446744073709551615, found -1".
template <class T>
CLI::Validator whole_number(std::string option, T min) {
    auto description = min > 0 ? "at least " + std::to_string(min) : "";
    return CLI::Validator(
        [option, min](std::string& text) {
            T value{};
            auto const* end = text.data() + text.size();
            auto [last, ec] = std::from_chars(text.data(), end, value);
            if (ec == std::errc{} && last == end && value < min)
                throw error(option, "at least " + std::to_string(min), text);
            if (ec != std::errc{} || last != end || text.empty())
                throw error(option,
                            "a whole number from " + std::to_string(min) + " to "
                                + std::to_string(std::numeric_limits<T>::max()),
                            text.empty() ? "nothing" : text);
            text = std::to_string(value);
            return std::string();
        },
        description);
}
} // namespace detail

//! Adds the standard options to `app`, writing into `options`. A value of the wrong kind
//! or out of range throws one pipeline::error naming the option, what it takes and what
//! was given.
inline void add_run_options(CLI::App& app, run_options& options) {
    using detail::whole_number;
    app.add_option("--device", options.device, "cpu, cuda, cuda:N or auto")
        ->capture_default_str();
    app.add_option("--data-dir", options.data_dir,
                   "where the dataset lives (default: $PIPELINE_DATA_DIR, then the system "
                   "location)");
    app.add_option("--weights-dir", options.weights_dir,
                   "where Pretrained<...> finds weights (default: $PIPELINE_WEIGHTS_DIR, "
                   "then ~/.cache/pipeline/weights)");
    app.add_option("--out-dir", options.out_dir,
                   "each run writes a new directory here (empty: write nothing)")
        ->capture_default_str();
    app.add_option("--seed", options.seed, "seed of every random stream")
        ->capture_default_str()
        ->transform(whole_number<std::uint64_t>("--seed", 0));
    app.add_option("--epochs", options.epochs, "override Train<{.epochs}> (smoke runs)")
        ->transform(whole_number("--epochs", 1));
    app.add_option("--limit", options.limit,
                   "train on the first N examples (overrides Subset<N>)")
        ->transform(whole_number<std::int64_t>("--limit", 1));
    app.add_option("--eval-limit", options.eval_limit,
                   "evaluate on the first N validation and test examples")
        ->transform(whole_number<std::int64_t>("--eval-limit", 1));
    app.add_option("--threads", options.threads, "intra-op CPU threads (0: every core)")
        ->capture_default_str()
        ->transform(whole_number("--threads", 0));
    app.add_option(
        "--resume", options.resume,
        "continue the run whose checkpoint.safetensors (or run directory) this is, "
        "in a new run directory");
    app.add_option("--stop-after", options.stop_after,
                   "end the run after epoch N, keeping its checkpoint for --resume")
        ->transform(whole_number("--stop-after", 1));
}

//! Parses the command line `argv` (argc entries, the program's name first) into run
//! options with the standard options of `app`. Throws pipeline::error for a value out of
//! range, and CLI::ParseError for what CLI11 itself refuses (an unknown option, a missing
//! value) and for --help, for `app.exit()` to print.
//!
//!     CLI::App app{"my experiment"};
//!     auto options = parse_run_options(app, argc, argv);
inline run_options parse_run_options(CLI::App& app, int argc, char const* const* argv) {
    run_options options;
    add_run_options(app, options);
    app.parse(argc, argv);
    return options;
}

//! Parses the command line and trains the experiment. Returns the process exit code.
//!
//!     constexpr auto experiment = Load<FashionMNIST> | Model<ResNet18> |
//!     Loss<CrossEntropy>; int main(int argc, char** argv) { return
//!     pipeline::run(experiment, argc, argv); }
template <class... S>
int run(Pipeline<S...>, int argc, char** argv) {
    // Validate first and expand the loop only for a valid pipeline, so a broken pipeline
    // stops at its rule's message rather than deep inside fit().
    if constexpr (!validate(Pipeline<S...>{})) {
        return 2;
    } else {
        CLI::App app{"experiment: " + describe(Pipeline<S...>{})};
        try {
            run_options options;
            try {
                options = parse_run_options(app, argc, argv);
            } catch (CLI::ParseError const& e) {
                return app.exit(e);
            }
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
