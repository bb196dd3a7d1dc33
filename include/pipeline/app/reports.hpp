// What a program of several experiments writes when they are done: the comparison of two
// over the same seeds (Markdown and a picture), a roadmap's table, and their files.
// Torch-free.
#pragma once

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <pipeline/app/seeds.hpp>
#include <pipeline/io/atomic_file.hpp>
#include <pipeline/record/curves.hpp>
#include <pipeline/record/seeds.hpp>

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
//! The --help and --list text: the steps by their changes, then the reference.
inline std::string roadmap_header(std::vector<std::string> const& changes,
                                  std::string const& reference) {
    std::string header = "roadmap:";
    for (std::size_t k = 0; k < changes.size(); ++k)
        header += fmt::format("\n  {}: {}", k + 1, changes[k]);
    return header + fmt::format("\n  {} (reference): {}", changes.size() + 1, reference);
}

//! roadmap-<hash>.md (the table) and .json (every run's figures) in `out_dir` (or
//! roadmap-<hash>-2.*, ... beside an earlier roadmap's: never overwritten), with the
//! command line's options that changed the numbers.
inline void write_roadmap(std::filesystem::path const& out_dir,
                          std::string const& last_step, std::string const& report,
                          int seeds, std::vector<std::string> const& changes,
                          std::vector<seed_summary> const& done, seed_summary const& ref,
                          std::string const& command_line) {
    auto const stem = claim_new_stem(out_dir / ("roadmap-" + experiment_hash(last_step)),
                                     {".md", ".json"});
    write_file_atomically(stem.string() + ".md",
                          report + "\noptions: `" + command_line + "`\n");
    nlohmann::json j{{"seeds", seeds},
                     {"command_line", command_line},
                     {"steps", nlohmann::json::array()}};
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

} // namespace pipeline
