// The standard command line every experiment program gets (CLI11): the run options, with
// every number range-checked, --seeds and --seed-procs, and for programs of several
// pipelines the option that picks one and --list. A value out of range ends the program
// with one line and exit code 1. Torch-free.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <optional>
#include <string>
#include <system_error>

#include <CLI/CLI.hpp>

#include <pipeline/error.hpp>
#include <pipeline/record/run_options.hpp>

namespace pipeline {

namespace detail {
//! A CLI11 transform that accepts a decimal whole number of type T from `min` to T's
//! maximum and rewrites it in canonical form (CLI11 itself reads "010" as octal, and
//! "-1" or a number past the type's range as the largest unsigned value). Anything else
//! throws one pipeline::error, which CLI11 passes through: "--seed: expected a whole
//! number from 0 to 18446744073709551615, found -1".
//! With `max` (and `why`, what the bound is) a larger value is refused too: "--threads:
//! expected at most 8 (4 x the 2 hardware threads here), found 1000".
template <class T>
CLI::Validator whole_number(std::string option, T min,
                            T max = std::numeric_limits<T>::max(), std::string why = {}) {
    auto description = min > 0 ? "at least " + std::to_string(min) : "";
    if (max != std::numeric_limits<T>::max())
        description = std::to_string(min) + " to " + std::to_string(max);
    return CLI::Validator(
        [option, min, max, why](std::string& text) {
            T value{};
            auto const* end = text.data() + text.size();
            auto [last, ec] = std::from_chars(text.data(), end, value);
            if (ec == std::errc{} && last == end && value < min)
                throw error(option, "at least " + std::to_string(min), text);
            if (ec == std::errc{} && last == end && value > max)
                throw error(option, "at most " + std::to_string(max) + why, text);
            if (ec != std::errc{} || last != end || text.empty())
                throw error(option,
                            "a whole number from " + std::to_string(min) + " to "
                                + std::to_string(max),
                            text.empty() ? "nothing" : text);
            text = std::to_string(value);
            return std::string();
        },
        description);
}

//! A CLI11 transform that accepts a finite real number above 0 ("1e-7", "0.5"); anything
//! else throws one pipeline::error: "--find-lr-start: expected a real number above 0,
//! found -1".
inline CLI::Validator positive_number(std::string option) {
    return CLI::Validator(
        [option](std::string& text) {
            char* last = nullptr;
            double const value = std::strtod(text.c_str(), &last);
            if (text.empty() || last != text.c_str() + text.size() || !std::isfinite(value)
                || !(value > 0.0))
                throw error(option, "a real number above 0",
                            text.empty() ? "nothing" : text);
            return std::string();
        },
        "a real number above 0");
}
} // namespace detail

//! Adds the standard options to `app`, writing into `options`. A value of the wrong kind
//! or out of range throws one pipeline::error naming the option, what it takes and what
//! was given.
inline void add_run_options(CLI::App& app, run_options& options) {
    using detail::positive_number;
    using detail::whole_number;
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
        ->transform(whole_number("--threads", 0, max_threads(), max_threads_reason()));
    app.add_option(
        "--resume", options.resume,
        "continue the run whose checkpoint.safetensors (or run directory) this is, "
        "in a new run directory");
    app.add_option("--stop-after", options.stop_after,
                   "end the run after epoch N, keeping its checkpoint for --resume")
        ->transform(whole_number("--stop-after", 1));
    app.add_option("--dist-timeout", options.dist_timeout_s,
                   "data-parallel runs: seconds to wait for the other ranks (rendezvous, "
                   "each all-reduce) before stopping with an error")
        ->capture_default_str()
        ->transform(whole_number("--dist-timeout", 1));
    app.add_option("--emulate-ranks", options.emulate_ranks,
                   "run an N-process data-parallel run's arithmetic in this one process "
                   "(each batch in N shards, gradients averaged)")
        ->capture_default_str()
        ->transform(whole_number("--emulate-ranks", 1));
    app.add_flag(
        "--log-all-ranks", options.log_all_ranks,
        "data-parallel runs: every rank prints its log (rank 0 alone writes files)");
    app.add_flag_callback(
        "--no-weights", [&options] { options.save_weights = false; },
        "write no weights (no checkpoint, best.safetensors or model.safetensors): metrics, "
        "curves and summaries only, for sweeps");
    // The learning-rate finder: a sweep instead of the run (record/lr_find.hpp).
    app.add_flag("--find-lr", options.find_lr,
                 "instead of training, sweep the learning rate (fastai's lr_find): write "
                 "lr-find-<hash>.md/.csv/.svg and suggest a rate");
    app.add_option("--find-lr-steps", options.lr_sweep.steps,
                   "--find-lr: batches in the sweep")
        ->capture_default_str()
        ->transform(whole_number("--find-lr-steps", 10));
    app.add_option("--find-lr-start", options.lr_sweep.start_lr,
                   "--find-lr: the first rate")
        ->capture_default_str()
        ->transform(positive_number("--find-lr-start"));
    app.add_option("--find-lr-end", options.lr_sweep.end_lr, "--find-lr: the last rate")
        ->capture_default_str()
        ->transform(positive_number("--find-lr-end"));
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

//! A checkpoint holds one seed's run: --resume with --seeds N > 1 is refused before any
//! work (it used to finish the first seed, then fail on the second).
inline void check_resume_seeds(run_options const& options, int seeds) {
    if (options.resume && seeds > 1)
        throw error(
            "--resume with --seeds " + std::to_string(seeds),
            "one run to continue (a checkpoint holds one seed's run)",
            std::to_string(seeds)
                + " seeds: resume each seed's run on its own, with its --seed and its "
                  "run directory");
}

//! Parses the standard command line and --seeds into `options` and `seeds`; returns the
//! exit code when the program should stop: 0 after --help, CLI11's code for what it refuses
//! (an unknown option), 1 after one line on stderr for a value out of range.
inline std::optional<int> parse_experiment_line(CLI::App& app, run_options& options,
                                                int& seeds, int argc, char** argv) {
    add_run_options(app, options);
    app.add_option("--seeds", seeds, "run with N seeds: --seed, --seed + 1, ...")
        ->capture_default_str()
        ->transform(detail::whole_number("--seeds", 1));
    app.add_option("--seed-procs", options.seed_procs,
                   "run up to N seeds at once, each in its own process (0: one per GPU "
                   "when several are visible, else 1)")
        ->capture_default_str()
        ->transform(detail::whole_number("--seed-procs", 0));
    try {
        app.parse(argc, argv);
        check_resume_seeds(options, seeds);
    } catch (CLI::ParseError const& e) {
        return app.exit(e);
    } catch (pipeline::error const& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
    return std::nullopt;
}

namespace detail {
//! The command line of a program holding `count` pipelines: the standard options and
//! --seeds, `option` K (from 1, described by `help`) to run only the K-th, and --list to
//! print the app's description (the numbered pipelines) and stop. Returns the exit code
//! when the program should stop: after --help, --list or an error.
inline std::optional<int> parse_numbered_line(CLI::App& app, run_options& options,
                                              int& seeds, int& pick,
                                              std::string const& option,
                                              std::string const& help, int count, int argc,
                                              char** argv) {
    bool list = false;
    app.add_option(option, pick, help)->check(CLI::Range(1, count));
    app.add_flag("--list", list, "print the numbered list above and exit");
    if (auto code = parse_experiment_line(app, options, seeds, argc, argv))
        return code;
    if (list) {
        std::cout << app.get_description() << "\n";
        return 0;
    }
    return std::nullopt;
}
} // namespace detail

} // namespace pipeline
