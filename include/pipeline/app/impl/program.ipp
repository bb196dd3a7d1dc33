// The definitions of the entry-point skeleton (app/program.hpp) and of the runs over seeds
// (app/seeds.hpp): compiled once in pipeline::core, or inline with the headers when
// header-only.
#pragma once

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <pipeline/app/command_line.hpp>
#include <pipeline/app/guarded.hpp>
#include <pipeline/app/program.hpp>
#include <pipeline/app/reports.hpp>
#include <pipeline/app/seeds.hpp>
#include <pipeline/compat.hpp>
#include <pipeline/error.hpp>
#include <pipeline/io/atomic_file.hpp>
#include <pipeline/parallel/distributed.hpp>
#include <pipeline/parallel/seed_processes.hpp>
#include <pipeline/record/result.hpp>
#include <pipeline/record/seeds.hpp>
#include <pipeline/train/fit.hpp>
#include <pipeline/train/run_context.hpp>

namespace pipeline {

namespace detail {
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

//! The options a summary of `seeds` runs from `options` was made with, as a command
//! line: "--seed 3 --seeds 5 --device cpu --epochs 2".
inline std::string summary_command_line(run_options const& options, int seeds) {
    return "--seed " + std::to_string(options.seed) + " --seeds " + std::to_string(seeds)
           + result_flags(options);
}

//! The seeds summary files: `seeds-<hash>.md` and `.json` in `options.out_dir`, or
//! `seeds-<hash>-2.*`, ... when an earlier sweep's are there (never overwritten), with the
//! options that changed the numbers.
inline void write_seeds_summary(run_options const& options, seed_summary const& summary,
                                std::string const& table) {
    auto const stem =
        claim_new_stem(options.out_dir / ("seeds-" + experiment_hash(summary.experiment)),
                       {".md", ".json"});
    auto const seeds = static_cast<int>(summary.runs.size());
    write_file_atomically(stem.string() + ".md", table + "\noptions: `"
                                                     + summary_command_line(options, seeds)
                                                     + "`\n");
    nlohmann::json j{{"experiment", summary.experiment},
                     {"runs", summary.runs},
                     {"command_line", summary_command_line(options, seeds)}};
    j["options"] = nlohmann::json::object();
    for (auto const& [flag, value] : result_options(options))
        j["options"][flag.substr(2)] = value;
    for (auto const& [name, value] : {std::pair{"final_val_acc", summary.final_val_acc},
                                      {"best_val_acc", summary.best_val_acc},
                                      {"test_acc", summary.test_acc},
                                      {"gap", summary.gap}}) {
        j["mean"][name] = value.mean;
        j["std"][name] = value.std;
    }
    write_file_atomically(stem.string() + ".json", j.dump(2) + "\n");
}

//! The work of a compare program: A and B over the same seeds, then the verdict.
inline void compare_experiments(program const& p, run_options const& options, int seeds) {
    if (options.resume)
        throw error(
            "--resume", "a program of one experiment (a checkpoint continues one run)",
            "a comparison of two; resume each run with its own experiment's program");
    auto const& a = *p.experiments[0];
    auto const& b = *p.experiments[1];
    if (options.log)
        *options.log << "comparing, one change:\n" << p.difference;
    auto const sa = fit_seeds(a, options, seeds);
    auto const sb = fit_seeds(b, options, seeds);
    auto const report = comparison_markdown(sa, sb, p.difference);
    if (options.log)
        *options.log << "\n" << report;
    if (!options.out_dir.empty()) {
        auto const stem = claim_new_stem(options.out_dir
                                             / ("compare-" + experiment_hash(sa.experiment)
                                                + "-" + experiment_hash(sb.experiment)),
                                         {".md", ".svg"});
        write_file_atomically(stem.string() + ".md",
                              report + "\noptions: `" + summary_command_line(options, seeds)
                                  + "`\n");
        write_file_atomically(stem.string() + ".svg", comparison_svg(sa, sb));
    }
}

//! The work of a roadmap program: the steps (or step `step`, from 1; the last number is
//! the reference), then the table.
inline void run_roadmap(program const& p, run_options const& options, int seeds, int step) {
    if (options.resume)
        throw error(
            "--resume", "a program of one experiment (a checkpoint continues one run)",
            "a roadmap of several; resume each run with its own experiment's program");
    auto const steps = static_cast<int>(p.experiments.size()) - 1;
    std::vector<seed_summary> done;
    for (int k = 1; k <= steps; ++k) {
        if (step != 0 && step != k)
            continue;
        if (options.log)
            *options.log << fmt::format("\n##### roadmap step {}: {}\n", k,
                                        p.changes[static_cast<std::size_t>(k) - 1]);
        done.push_back(
            fit_seeds(*p.experiments[static_cast<std::size_t>(k) - 1], options, seeds));
    }
    seed_summary ref;
    if (step == 0 || step == steps + 1) {
        if (options.log)
            *options.log << "\n##### roadmap reference\n";
        ref = fit_seeds(*p.experiments.back(), options, seeds);
    }
    if (step != 0)
        return;
    auto const report = roadmap_markdown(done, p.changes, ref);
    if (options.log)
        *options.log << "\n" << report;
    if (!options.out_dir.empty())
        write_roadmap(
            options.out_dir, p.experiments[static_cast<std::size_t>(steps) - 1]->describe(),
            report, seeds, p.changes, done, ref, summary_command_line(options, seeds));
}

//! --find-lr: the learning-rate finder on each experiment the program would run (the
//! picked one, or all of them; a comparison's A and B), instead of training, with --seed
//! alone: a sweep is a look at the loss, not a measurement to repeat over --seeds.
inline void find_lr_for(program const& p, run_options const& options, int pick) {
    if (options.resume)
        throw error("--find-lr with --resume",
                    "one of them (the finder starts from the untrained model)",
                    "both: drop --resume to sweep, or --find-lr to continue the run");
    for (std::size_t k = 1; k <= p.experiments.size(); ++k)
        if (pick == 0 || static_cast<std::size_t>(pick) == k)
            find_lr(*p.experiments[k - 1], options);
}

//! The program's description, as --help and --list print it.
inline std::string program_header(program const& p) {
    switch (p.kind) {
    case program_kind::run:
        return "experiment: " + p.experiments[0]->describe();
    case program_kind::compare:
        return "compare: A = " + p.experiments[0]->describe()
               + "\n         B = " + p.experiments[1]->describe();
    case program_kind::variants: {
        std::string header = "variants:";
        for (std::size_t k = 0; k < p.experiments.size(); ++k)
            header += fmt::format("\n  {}: {}", k + 1, p.experiments[k]->describe());
        return header;
    }
    case program_kind::roadmap:
        return roadmap_header(p.changes, p.experiments.back()->describe());
    }
    return {};
}
} // namespace detail

PIPELINE_DECL seed_summary fit_seeds(spec::experiment const& e,
                                     run_options const& all_options, int seeds) {
    // In a launched job only rank 0 prints and writes the summary.
    auto const options = options_for_rank(all_options, read_launch_environment());
    if (seeds < 1)
        throw error("--seeds", "at least 1", std::to_string(seeds));
    check_resume_seeds(options, seeds);
    // The last seed is --seed + seeds - 1: it must fit, never wrap to 0.
    auto const largest_first =
        std::numeric_limits<std::uint64_t>::max() - static_cast<std::uint64_t>(seeds - 1);
    if (options.seed > largest_first)
        throw error("--seed with --seeds " + std::to_string(seeds),
                    "a first seed of at most " + std::to_string(largest_first)
                        + " (the last, --seed + " + std::to_string(seeds - 1)
                        + ", must be at most 18446744073709551615)",
                    std::to_string(options.seed));
    auto const experiment = e.describe();
    bool const any_gpu = options.device == "auto" || options.device == "cuda";
    int const gpus = any_gpu && compat::cuda_available()
                         ? static_cast<int>(torch::cuda::device_count())
                         : 0;
    int const procs =
        seed_process_count(options, seeds, read_launch_environment().launched, gpus);
    std::vector<seed_figures> runs;
    if (procs > 1)
        runs = run_seed_processes(experiment, options, seeds, procs,
                                  gpus > 1 && any_gpu ? visible_gpus(gpus)
                                                      : std::vector<std::string>{});
    for (int k = 0; procs == 1 && k < seeds; ++k) {
        auto o = options;
        o.seed = options.seed + static_cast<std::uint64_t>(k);
        if (o.log && seeds > 1)
            *o.log << fmt::format("=== seed {} ({} of {})\n", o.seed, k + 1, seeds);
        runs.push_back(detail::figures_of(fit(e, o), o.seed));
    }
    auto summary = summarize(experiment, std::move(runs));
    if (seeds == 1)
        return summary;
    auto const table = seeds_markdown(summary);
    if (options.log)
        *options.log << "\n" << table;
    if (!options.out_dir.empty())
        detail::write_seeds_summary(options, summary, table);
    return summary;
}

PIPELINE_DECL std::optional<int>
serve_seed_worker(run_options& options, int argc, char** argv,
                  std::span<spec::experiment const* const> experiments) {
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
        auto const it = std::find_if(experiments.begin(), experiments.end(),
                                     [&](spec::experiment const* e) {
                                         return e->describe() == request->experiment;
                                     });
        if (it == experiments.end())
            throw error(std::string("environment variable ") + seed_worker_variable,
                        "an experiment of this program", "'" + request->experiment + "'");
        auto const figures = detail::figures_of(fit(**it, options), options.seed);
        write_file_atomically(request->report, nlohmann::json(figures).dump() + "\n");
    });
}

namespace builtin {
template <program_kind K>
void program_work(program const& p, run_options const& options, int seeds, int pick) {
    if constexpr (K == program_kind::run) {
        fit_seeds(*p.experiments[0], options, seeds);
    } else if constexpr (K == program_kind::compare) {
        detail::compare_experiments(p, options, seeds);
    } else if constexpr (K == program_kind::variants) {
        for (std::size_t k = 1; k <= p.experiments.size(); ++k)
            if (pick == 0 || static_cast<std::size_t>(pick) == k)
                fit_seeds(*p.experiments[k - 1], options, seeds);
    } else {
        detail::run_roadmap(p, options, seeds, pick);
    }
}
} // namespace builtin

PIPELINE_DECL int run_program(program const& p, int argc, char** argv) {
    run_options options;
    int seeds = p.kind == program_kind::compare || p.kind == program_kind::roadmap ? 3 : 1;
    int pick = 0;
    CLI::App app{detail::program_header(p)};
    std::optional<int> stop;
    auto const count = static_cast<int>(p.experiments.size());
    if (p.kind == program_kind::variants)
        stop =
            detail::parse_numbered_line(app, options, seeds, pick, "--variant",
                                        "run only variant K (from 1)", count, argc, argv);
    else if (p.kind == program_kind::roadmap)
        stop = detail::parse_numbered_line(
            app, options, seeds, pick, "--step",
            "run only step K (from 1; the last is the reference)", count, argc, argv);
    else
        stop = parse_experiment_line(app, options, seeds, argc, argv);
    if (stop)
        return *stop;
    if (auto code = serve_seed_worker(options, argc, argv, p.experiments))
        return *code;
    return guarded([&] {
        if (options.find_lr) {
            detail::find_lr_for(p, options, pick);
            return;
        }
#if defined(PIPELINE_HEADER_ONLY)
        detail::named_code(p.work, "its program's work")(p, options, seeds, pick);
#else
        switch (p.kind) {
        case program_kind::run:
            builtin::program_work<program_kind::run>(p, options, seeds, pick);
            break;
        case program_kind::compare:
            builtin::program_work<program_kind::compare>(p, options, seeds, pick);
            break;
        case program_kind::variants:
            builtin::program_work<program_kind::variants>(p, options, seeds, pick);
            break;
        case program_kind::roadmap:
            builtin::program_work<program_kind::roadmap>(p, options, seeds, pick);
            break;
        }
#endif
    });
}

} // namespace pipeline
