// Experiments over seeds and controlled comparisons, the way the seed's workflow decides:
// `fit_seeds` runs one pipeline with several seeds and summarises them (mean ± std of the
// final and best validation accuracy, the test accuracy and the train-validation gap);
// `compare(A, B, argc, argv)` runs two pipelines one controlled change apart over the same
// seeds and says whether the change helps beyond seed noise; `run_variants(argc, argv,
// A, B, ...)` builds several pipelines into one binary (one compile for a sweep).
#pragma once

#include <algorithm>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <pipeline/dsl/one_change.hpp>
#include <pipeline/io/atomic_file.hpp>
#include <pipeline/run.hpp>
#include <pipeline/train/curves.hpp>
#include <pipeline/train/fit.hpp>
#include <pipeline/train/seeds.hpp>

namespace pipeline {

//! The comparison of B with A over the same seeds, as a Markdown report.
inline std::string comparison_markdown(seed_summary const& a, seed_summary const& b,
                                       std::string const& difference) {
    auto column = [](seed_summary const& s, double seed_figures::*field) {
        std::vector<double> v;
        for (auto const& r : s.runs)
            v.push_back(r.*field);
        return v;
    };
    std::string out = "## A\n\n" + seeds_markdown(a) + "\n## B\n\n" + seeds_markdown(b)
                      + "\n## B - A (what changed)\n\n```\n" + difference + "```\n\n"
                      + "| figure | A | B | B - A (95% interval) | p | verdict |\n"
                        "| --- | --- | --- | --- | --- | --- |\n";
    for (auto const& [name, field] :
         {std::pair{"best val acc", &seed_figures::best_val_acc},
          {"final val acc", &seed_figures::final_val_acc},
          {"test acc", &seed_figures::test_acc},
          {"gap (clean train - val)", &seed_figures::gap}}) {
        auto const c = compare_paired(column(a, field), column(b, field));
        out +=
            fmt::format("| {} | {} | {} | {:+.2f} ({:+.2f} .. {:+.2f}) | {:.3f} | {} |\n",
                        name, c.a.text(), c.b.text(), 100 * c.difference.mean, 100 * c.low,
                        100 * c.high, c.p_value, c.verdict);
    }
    out +=
        "\nPaired t-test over the seeds (runs with the same seed share the split, the data "
        "order and the augmentation draws); figures in percent, the gap in points.\n";
    return out;
}

//! A and B over the same seeds, per seed, as a picture: best validation accuracy.
inline std::string comparison_svg(seed_summary const& a, seed_summary const& b) {
    std::vector<double> va, vb;
    for (auto const& r : a.runs)
        va.push_back(r.best_val_acc);
    for (auto const& r : b.runs)
        vb.push_back(r.best_val_acc);
    return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"480\" height=\"380\">\n"
           "<rect width=\"480\" height=\"380\" fill=\"white\"/>\n"
           + line_chart("best validation accuracy per seed (x: seed index)",
                        {{"A", "#1f77b4", va, "6,4"}, {"B", "#d62728", vb, ""}}, 0, 0, 480,
                        360)
           + "</svg>\n";
}

//! Trains A and B over the same seeds (--seeds, default 3) and reports whether B is better,
//! worse or within seed noise (compare-<hashA>-<hashB>.md and .svg in --out-dir). A and B
//! must be one controlled change apart.
template <class... SA, class... SB>
int compare(Pipeline<SA...> a, Pipeline<SB...> b, int argc, char** argv) {
    static_assert(one_change<Pipeline<SA...>, Pipeline<SB...>>,
                  "pipeline: compare(A, B) needs A and B one controlled change apart (one "
                  "stage added, removed, or changed in one argument); diff(A, B) prints "
                  "what differs");
    if constexpr (!validate(Pipeline<SA...>{}) || !validate(Pipeline<SB...>{})) {
        return 2;
    } else {
        run_options options;
        int seeds = 3;
        CLI::App app{"compare: A = " + describe(a) + "\n         B = " + describe(b)};
        if (auto code = parse_experiment_line(app, options, seeds, argc, argv))
            return *code;
        if (auto code = serve_seed_worker(options, argc, argv, a, b))
            return *code;
        return guarded([&] {
            auto const difference = diff(a, b);
            if (options.log)
                *options.log << "comparing, one change:\n" << difference;
            auto const sa = fit_seeds(a, options, seeds);
            auto const sb = fit_seeds(b, options, seeds);
            auto const report = comparison_markdown(sa, sb, difference);
            if (options.log)
                *options.log << "\n" << report;
            if (!options.out_dir.empty()) {
                auto const stem = options.out_dir
                                  / ("compare-" + experiment_hash(sa.experiment) + "-"
                                     + experiment_hash(sb.experiment));
                write_file_atomically(stem.string() + ".md", report);
                write_file_atomically(stem.string() + ".svg", comparison_svg(sa, sb));
            }
        });
    }
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

//! Several pipelines in one binary, one compile for a sweep: `--variant K` runs the K-th
//! (from 1), `--list` prints them, neither runs them all, each over --seeds.
template <class... P>
int run_variants(int argc, char** argv, P... variants) {
    static_assert(sizeof...(P) >= 1, "pipeline: run_variants needs at least one pipeline");
    if constexpr (!(validate(P{}) && ...)) {
        return 2;
    } else {
        run_options options;
        int seeds = 1;
        int variant = 0;
        std::vector<std::string> const names{describe(variants)...};
        std::string header = "variants:";
        for (std::size_t k = 0; k < names.size(); ++k)
            header += fmt::format("\n  {}: {}", k + 1, names[k]);
        CLI::App app{header};
        if (auto code = detail::parse_numbered_line(
                app, options, seeds, variant, "--variant", "run only variant K (from 1)",
                static_cast<int>(sizeof...(P)), argc, argv))
            return *code;
        if (auto code = serve_seed_worker(options, argc, argv, variants...))
            return *code;
        return guarded([&] {
            int k = 0;
            auto one = [&](auto p) {
                ++k;
                if (variant == 0 || variant == k)
                    fit_seeds(p, options, seeds);
            };
            (one(variants), ...);
        });
    }
}

//! The steps of a roadmap as a Markdown table: each step's mean ± std over the seeds, its
//! change from the previous step in best validation accuracy (the figure a practitioner
//! selects on: the test accuracy is shown, never used to decide) with a 95% interval and a
//! verdict from the paired t-test (compare_paired), then the reference run.
inline std::string roadmap_markdown(std::vector<seed_summary> const& steps,
                                    std::vector<std::string> const& changes,
                                    seed_summary const& reference) {
    auto column = [](seed_summary const& s) {
        std::vector<double> v;
        for (auto const& r : s.runs)
            v.push_back(r.best_val_acc);
        return v;
    };
    std::string out = "| step | change | best val acc | test acc | gap (clean train - val) "
                      "| Δ best val acc (95% interval) | beyond seed noise? |\n"
                      "| --- | --- | --- | --- | --- | --- | --- |\n";
    auto row = [&](std::string const& step, std::string change, seed_summary const& s,
                   std::string const& delta, std::string const& verdict) {
        // A pipeline's stages are joined by '|', which would end the table's cell.
        for (auto at = change.find('|'); at != std::string::npos;
             at = change.find('|', at + 2))
            change.replace(at, 1, "\\|");
        out += fmt::format("| {} | {} | {}% | {}% | {} pt | {} | {} |\n", step, change,
                           s.best_val_acc.text(), s.test_acc.text(), s.gap.text(), delta,
                           verdict);
    };
    for (std::size_t k = 0; k < steps.size(); ++k) {
        if (k == 0) {
            row("1", changes[0], steps[0], "", "");
            continue;
        }
        auto const c = compare_paired(column(steps[k - 1]), column(steps[k]));
        auto const beyond = c.difference.n < 2 ? "no verdict (one seed)"
                            : c.low > 0.0      ? "yes: better"
                            : c.high < 0.0     ? "yes: worse"
                                               : "no";
        row(std::to_string(k + 1), changes[k], steps[k],
            fmt::format("{:+.2f} ({:+.2f} .. {:+.2f}), p {:.3f}", 100 * c.difference.mean,
                        100 * c.low, 100 * c.high, c.p_value),
            beyond);
    }
    if (!reference.runs.empty())
        row("reference", "no transfer", reference, "", "");
    out +=
        "\nMean ± std over the seeds; Δ: paired over the seeds against the previous step "
        "(a paired t-test: see compare_paired); figures in percent, the gap in points.\n";
    return out;
}

namespace detail {
//! diff()'s lines on one line: "- Loss<CrossEntropy> + Loss<SmoothedCE<0.1>>".
inline std::string one_line(std::string text) {
    while (!text.empty() && text.back() == '\n')
        text.pop_back();
    std::replace(text.begin(), text.end(), '\n', ' ');
    return text;
}

//! Each step one controlled change from the one before.
template <class... Steps>
inline constexpr bool chained_by_one_change = [
]<std::size_t... I>(std::index_sequence<I...>) {
    using list = std::tuple<Steps...>;
    return (one_change<std::tuple_element_t<I, list>,
                       std::tuple_element_t<I + 1, list>> && ...);
}
(std::make_index_sequence<sizeof...(Steps) - 1>{});

//! What each roadmap step changes: "start: <first step>", then each diff on one line.
template <class... Steps>
std::vector<std::string> roadmap_changes(Steps... steps) {
    auto const all = std::tuple{steps...};
    std::vector<std::string> changes{"start: " + describe(std::get<0>(all))};
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (changes.push_back(one_line(diff(std::get<I>(all), std::get<I + 1>(all)))), ...);
    }
    (std::make_index_sequence<sizeof...(Steps) - 1>{});
    return changes;
}

//! The --help and --list text: the steps by their changes, then the reference.
inline std::string roadmap_header(std::vector<std::string> const& changes,
                                  std::string const& reference) {
    std::string header = "roadmap:";
    for (std::size_t k = 0; k < changes.size(); ++k)
        header += fmt::format("\n  {}: {}", k + 1, changes[k]);
    return header + fmt::format("\n  {} (reference): {}", changes.size() + 1, reference);
}

//! roadmap-<hash>.md (the table) and .json (every run's figures) in `out_dir`.
inline void write_roadmap(std::filesystem::path const& out_dir,
                          std::string const& last_step, std::string const& report,
                          int seeds, std::vector<std::string> const& changes,
                          std::vector<seed_summary> const& done, seed_summary const& ref) {
    auto const stem = out_dir / ("roadmap-" + experiment_hash(last_step));
    write_file_atomically(stem.string() + ".md", report);
    nlohmann::json j{{"seeds", seeds}, {"steps", nlohmann::json::array()}};
    auto entry = [](std::string const& change, seed_summary const& s) {
        return nlohmann::json{
            {"change", change}, {"experiment", s.experiment}, {"runs", s.runs}};
    };
    for (std::size_t i = 0; i < done.size(); ++i)
        j["steps"].push_back(entry(changes[i], done[i]));
    j["reference"] = entry("no transfer", ref);
    write_file_atomically(stem.string() + ".json", j.dump(2) + "\n");
}
} // namespace detail

//! A roadmap (the seed's way to a good model): `steps`, each one controlled change from
//! the one before (static_asserted), run over the same seeds (--seeds, default 3), then
//! `reference` (a baseline with no constraint, e.g. the backbone trained from scratch).
//! Prints and (with --out-dir) writes roadmap-<hash>.md and .json: each step's mean ± std,
//! its change, and whether the change exceeds seed noise. `--step K` runs only step K
//! (K = steps + 1: the reference); `--list` prints the steps.
//!
//!     return roadmap(argc, argv, scratch, probe, unfreeze_top, smoothing);
template <class Reference, class... Steps>
int roadmap(int argc, char** argv, Reference reference, Steps... steps) {
    static_assert(sizeof...(Steps) >= 2, "pipeline: a roadmap needs at least two steps");
    static_assert(detail::chained_by_one_change<Steps...>,
                  "pipeline: each roadmap step must be one controlled change from the one "
                  "before (one stage added, removed, or changed in one argument); diff(A, "
                  "B) prints what differs");
    if constexpr (!(validate(Steps{}) && ...) || !validate(Reference{})) {
        return 2;
    } else {
        run_options options;
        int seeds = 3;
        int step = 0;
        std::vector<std::string> const names{describe(steps)...};
        auto const changes = detail::roadmap_changes(steps...);
        CLI::App app{detail::roadmap_header(changes, describe(reference))};
        if (auto code = detail::parse_numbered_line(
                app, options, seeds, step, "--step",
                "run only step K (from 1; the last is the reference)",
                static_cast<int>(sizeof...(Steps)) + 1, argc, argv))
            return *code;
        if (auto code = serve_seed_worker(options, argc, argv, steps..., reference))
            return *code;
        return guarded([&] {
            std::vector<seed_summary> done;
            int k = 0;
            auto one = [&](auto p) {
                ++k;
                if (step == 0 || step == k) {
                    if (options.log)
                        *options.log
                            << fmt::format("\n##### roadmap step {}: {}\n", k,
                                           changes[static_cast<std::size_t>(k) - 1]);
                    done.push_back(fit_seeds(p, options, seeds));
                }
            };
            (one(steps), ...);
            seed_summary ref;
            if (step == 0 || step == static_cast<int>(sizeof...(Steps)) + 1) {
                if (options.log)
                    *options.log << "\n##### roadmap reference\n";
                ref = fit_seeds(reference, options, seeds);
            }
            if (step != 0)
                return;
            auto const report = roadmap_markdown(done, changes, ref);
            if (options.log)
                *options.log << "\n" << report;
            if (!options.out_dir.empty())
                detail::write_roadmap(options.out_dir, names.back(), report, seeds, changes,
                                      done, ref);
        });
    }
}

} // namespace pipeline
