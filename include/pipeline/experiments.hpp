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
        out += fmt::format("| {} | {} | {} | {:+.2f} ({:+.2f} .. {:+.2f}) | {:.3f} | {} |\n",
                           name, c.a.text(), c.b.text(), 100 * c.difference.mean,
                           100 * c.low, 100 * c.high, c.p_value, c.verdict);
    }
    out += "\nPaired t-test over the seeds (runs with the same seed share the split, the data "
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
        bool list = false;
        std::vector<std::string> const names{describe(variants)...};
        std::string header = "variants:";
        for (std::size_t k = 0; k < names.size(); ++k)
            header += fmt::format("\n  {}: {}", k + 1, names[k]);
        CLI::App app{header};
        app.add_option("--variant", variant, "run only variant K (from 1)")
            ->check(CLI::Range(1, static_cast<int>(sizeof...(P))));
        app.add_flag("--list", list, "print the variants and exit");
        if (auto code = parse_experiment_line(app, options, seeds, argc, argv))
            return *code;
        if (list) {
            std::cout << header << "\n";
            return 0;
        }
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

} // namespace pipeline
