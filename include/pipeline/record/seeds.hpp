// Numbers over several seeds: the spread of a figure (mean, sample standard deviation),
// the summary of one experiment run with several seeds, and the comparison of two
// experiments run with the same seeds (a paired t-test on the per-seed differences).
// Torch-free: it reads finished runs' figures.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <boost/math/distributions/students_t.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <range/v3/numeric/accumulate.hpp>
#include <range/v3/range/conversion.hpp>
#include <range/v3/view/transform.hpp>
#include <range/v3/view/zip.hpp>

#include <pipeline/random.hpp>
#include <pipeline/record/seed_summary.hpp>

namespace pipeline {

//! "93.12 ± 0.21" for fractions shown as percentages (`percent`), else plain.
inline std::string spread::text(bool percent) const {
    double const k = percent ? 100.0 : 1.0;
    return n > 1 ? fmt::format("{:.2f} ± {:.2f}", k * mean, k * std)
                 : fmt::format("{:.2f}", k * mean);
}

//! 8 hex digits naming an experiment in file names.
inline std::string experiment_hash(std::string const& experiment) {
    return fmt::format("{:08x}", derive_seed(0, experiment) & 0xffffffffU);
}

//! The spread of `values`.
inline spread spread_of(std::vector<double> const& values) {
    spread s;
    s.n = values.size();
    if (s.n == 0)
        return s;
    s.mean = ranges::accumulate(values, 0.0) / static_cast<double>(s.n);
    if (s.n > 1) {
        auto const squares =
            ranges::accumulate(values | ranges::views::transform([&](double v) {
                                   return (v - s.mean) * (v - s.mean);
                               }),
                               0.0);
        s.std = std::sqrt(squares / static_cast<double>(s.n - 1));
    }
    return s;
}

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(seed_figures, seed, final_val_acc, best_val_acc,
                                   best_epoch, test_acc, gap)

inline seed_summary summarize(std::string experiment, std::vector<seed_figures> runs) {
    auto column = [&](double seed_figures::*field) {
        return runs | ranges::views::transform([&](auto const& r) { return r.*field; })
               | ranges::to<std::vector<double>>();
    };
    seed_summary s{std::move(experiment), {}, {}, {}, {}, {}};
    s.final_val_acc = spread_of(column(&seed_figures::final_val_acc));
    s.best_val_acc = spread_of(column(&seed_figures::best_val_acc));
    s.test_acc = spread_of(column(&seed_figures::test_acc));
    s.gap = spread_of(column(&seed_figures::gap));
    s.runs = std::move(runs);
    return s;
}

//! The summary as a Markdown table: one row per seed, then mean ± std.
inline std::string seeds_markdown(seed_summary const& s) {
    std::string out =
        fmt::format("`{}`\n\n| seed | final val acc | best val acc (epoch) | "
                    "test acc | gap (clean train - val) |\n| --- | --- | --- | "
                    "--- | --- |\n",
                    s.experiment);
    for (auto const& r : s.runs)
        out += fmt::format("| {} | {:.2f}% | {:.2f}% ({}) | {:.2f}% | {:.2f} pt |\n",
                           r.seed, 100 * r.final_val_acc, 100 * r.best_val_acc,
                           r.best_epoch, 100 * r.test_acc, 100 * r.gap);
    out += fmt::format("| mean ± std ({} seeds) | {}% | {}% | {}% | {} pt |\n",
                       s.runs.size(), s.final_val_acc.text(), s.best_val_acc.text(),
                       s.test_acc.text(), s.gap.text());
    return out;
}

//! B against A over the same seeds, on one figure: the per-seed difference B - A, its
//! mean with a 95% confidence interval, and a two-sided p-value.
//!
//! Why a paired t-test: runs with the same seed share the validation split, the data
//! order, the augmentation draws and (for the same backbone) the initial weights, so
//! pairing by seed removes that shared noise, which Welch's unpaired test would count
//! against the difference. A bootstrap needs more runs than the 3 to 5 seeds an experiment
//! affords: with n seeds it has at most n^n distinct resamples and its percentile
//! intervals are too narrow for small n. The t interval assumes the per-seed differences
//! are roughly normal, which is what seed noise on an accuracy looks like.
struct comparison {
    spread a, b, difference;
    double low = 0.0, high = 0.0; //!< 95% interval of the mean difference
    double p_value = 1.0;
    std::string verdict;
};

//! Compares `b` with `a` (values of one figure per seed, in the same seed order).
inline comparison compare_paired(std::vector<double> const& a,
                                 std::vector<double> const& b) {
    comparison c;
    c.a = spread_of(a);
    c.b = spread_of(b);
    std::vector<double> d;
    for (auto const& [x, y] : ranges::views::zip(a, b))
        d.push_back(y - x);
    c.difference = spread_of(d);
    auto const n = c.difference.n;
    if (n < 2) {
        c.low = c.high = c.difference.mean;
        c.verdict = "one seed: no verdict (run with --seeds 3 or more)";
        return c;
    }
    auto const se = c.difference.std / std::sqrt(static_cast<double>(n));
    boost::math::students_t t(static_cast<double>(n - 1));
    double const q = boost::math::quantile(boost::math::complement(t, 0.025));
    c.low = c.difference.mean - q * se;
    c.high = c.difference.mean + q * se;
    if (se == 0.0) {
        c.p_value = c.difference.mean == 0.0 ? 1.0 : 0.0;
    } else {
        double const stat = std::abs(c.difference.mean) / se;
        c.p_value = 2.0 * boost::math::cdf(boost::math::complement(t, stat));
    }
    if (c.low > 0.0)
        c.verdict = "better: the whole 95% interval is above zero";
    else if (c.high < 0.0)
        c.verdict = "worse: the whole 95% interval is below zero";
    else
        c.verdict = "no difference beyond seed noise: the 95% interval contains zero";
    return c;
}

} // namespace pipeline
