// `run(experiment, argc, argv)`: the standard command line every experiment gets for
// free (CLI11), around `fit`. Errors in the user's input end the program with one line
// and exit code 1; --help prints the experiment and the options.
#pragma once

#include <charconv>
#include <cstdint>
#include <exception>
#include <iostream>
#include <limits>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <pipeline/dsl.hpp>
#include <pipeline/error.hpp>
#include <pipeline/io/atomic_file.hpp>
#include <pipeline/train/fit.hpp>
#include <pipeline/train/seed_processes.hpp>
#include <pipeline/train/seeds.hpp>

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
        ->transform(whole_number("--threads", 0));
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

//! Runs `work`, turning what it throws into one line on stderr: returns the exit code
//! (0, or 1 after an error).
template <class F>
int guarded(F&& work) {
    try {
        std::forward<F>(work)();
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
    } catch (CLI::ParseError const& e) {
        return app.exit(e);
    } catch (pipeline::error const& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
    return std::nullopt;
}

//! What a finished run contributes to a summary over seeds.
inline seed_figures figures_of(run_result const& r, std::uint64_t seed) {
    seed_figures f;
    f.seed = seed;
    if (r.history.empty())
        return f;
    auto const& last = r.history.back().metrics;
    f.final_val_acc = last.val_acc;
    f.gap = last.gap();
    f.best_epoch = r.best_epoch;
    f.best_val_acc = r.history[static_cast<std::size_t>(r.best_epoch) - 1].metrics.val_acc;
    f.test_acc = r.test_acc;
    return f;
}

//! 8 hex digits naming an experiment in file names.
inline std::string experiment_hash(std::string const& experiment) {
    return fmt::format("{:08x}", derive_seed(0, experiment) & 0xffffffffU);
}

//! Trains pipeline `p` once per seed, `options.seed` to `options.seed + seeds - 1`, each
//! run in its own directory; prints and (with an --out-dir) writes the summary as
//! `seeds-<hash>.md` and `.json` beside the runs.
template <class... S>
seed_summary fit_seeds(Pipeline<S...> p, run_options const& all_options, int seeds) {
    // In a launched job only rank 0 prints and writes the summary.
    auto const options = options_for_rank(all_options, read_launch_environment());
    if (seeds < 1)
        throw error("--seeds", "at least 1", std::to_string(seeds));
    bool const any_gpu = options.device == "auto" || options.device == "cuda";
    int const gpus = any_gpu && compat::cuda_available()
                         ? static_cast<int>(torch::cuda::device_count())
                         : 0;
    int const procs =
        seed_process_count(options, seeds, read_launch_environment().launched, gpus);
    std::vector<seed_figures> runs;
    if (procs > 1)
        runs = run_seed_processes(describe(p), options, seeds, procs,
                                  gpus > 1 && any_gpu ? visible_gpus(gpus)
                                                      : std::vector<std::string>{});
    for (int k = 0; procs == 1 && k < seeds; ++k) {
        auto o = options;
        o.seed = options.seed + static_cast<std::uint64_t>(k);
        if (o.log && seeds > 1)
            *o.log << fmt::format("=== seed {} ({} of {})\n", o.seed, k + 1, seeds);
        runs.push_back(figures_of(fit(p, o), o.seed));
    }
    auto summary = summarize(describe(p), std::move(runs));
    if (seeds == 1)
        return summary;
    auto const table = seeds_markdown(summary);
    if (options.log)
        *options.log << "\n" << table;
    if (!options.out_dir.empty()) {
        auto const stem =
            options.out_dir / ("seeds-" + experiment_hash(summary.experiment));
        write_file_atomically(stem.string() + ".md", table);
        nlohmann::json j{{"experiment", summary.experiment}, {"runs", summary.runs}};
        for (auto const& [name, value] : {std::pair{"final_val_acc", summary.final_val_acc},
                                          {"best_val_acc", summary.best_val_acc},
                                          {"test_acc", summary.test_acc},
                                          {"gap", summary.gap}}) {
            j["mean"][name] = value.mean;
            j["std"][name] = value.std;
        }
        write_file_atomically(stem.string() + ".json", j.dump(2) + "\n");
    }
    return summary;
}

//! In a seed worker (PIPELINE_SEED_WORKER set by a parent's --seeds run): trains the one
//! of `pipelines` the request names with its seed and thread count, writes its figures to
//! the request's report file and returns the exit code. In any other process: keeps the
//! command line (`argc`, `argv`) in `options`, which lets fit_seeds start this program
//! again as workers, and returns nullopt. Every entry point calls it right after parsing
//! its command line, with all of its pipelines; a program that does not call it runs its
//! seeds one after another.
template <class... P>
std::optional<int> serve_seed_worker(run_options& options, int argc, char** argv,
                                     P... pipelines) {
    std::optional<seed_worker> request;
    if (auto code = guarded([&] { request = read_seed_worker(); }); code != 0)
        return code;
    if (!request) {
        options.argv.assign(argv, argv + argc);
        return std::nullopt;
    }
    return guarded([&] {
        // Output goes through a pipe to the parent, which prints it line by line.
        std::cout.setf(std::ios::unitbuf);
        std::cerr.setf(std::ios::unitbuf);
        options.seed = request->seed;
        options.threads = request->threads;
        options.seed_procs = 1;
        bool found = false;
        auto one = [&](auto p) {
            if (found || describe(p) != request->experiment)
                return;
            found = true;
            auto const figures = figures_of(fit(p, options), options.seed);
            write_file_atomically(request->report, nlohmann::json(figures).dump() + "\n");
        };
        (one(pipelines), ...);
        if (!found)
            throw error(std::string("environment variable ") + seed_worker_variable,
                        "an experiment of this program", "'" + request->experiment + "'");
    });
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
    // Validate first and expand the loop only for a valid pipeline, so a broken pipeline
    // stops at its rule's message rather than deep inside fit().
    if constexpr (!validate(Pipeline<S...>{})) {
        return 2;
    } else {
        run_options options;
        int seeds = 1;
        CLI::App app{"experiment: " + describe(Pipeline<S...>{})};
        if (auto code = parse_experiment_line(app, options, seeds, argc, argv))
            return *code;
        if (auto code = serve_seed_worker(options, argc, argv, Pipeline<S...>{}))
            return *code;
        return guarded([&] { fit_seeds(Pipeline<S...>{}, options, seeds); });
    }
}

} // namespace pipeline
