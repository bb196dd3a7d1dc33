// The learning-rate finder's arithmetic and its records, as fastai's `lr_find` does it:
// the rates of the sweep (exponential from `start_lr` to `end_lr`), the smoothed loss
// (an exponential average, debiased), the stop on divergence, the two suggestions
// (fastai's `steep`: where the smoothed loss falls fastest against log(rate); `valley`:
// the middle of the longest run of falling loss, a little past its first third) and the
// outputs: a table, a CSV and an SVG of loss against rate on a log axis with both
// suggestions marked. Torch-free: train/impl/fit.ipp runs the sweep.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <pipeline/error.hpp>
#include <pipeline/record/curves.hpp>
#include <pipeline/record/run_options.hpp>

namespace pipeline {

//! One suggested rate: the rule's name, the rate and the smoothed loss there.
struct lr_suggestion {
    std::string rule;
    double lr = 0.0;
    double loss = 0.0;
    std::size_t index = 0;
};

//! A finished sweep.
struct lr_finding {
    std::string experiment;
    std::vector<double> lrs;      //!< the rate of each step taken
    std::vector<double> losses;   //!< each step's batch loss
    std::vector<double> smoothed; //!< the smoothed loss after each step
    //! Why the sweep ended: "reached end_lr" or "diverged at step N (...)".
    std::string stopped;
    lr_suggestion steep;
    lr_suggestion valley;
    //! CRC-32Cs of the model's weights and buffers before the sweep and after the
    //! finder put them back: equal (the finder throws otherwise).
    std::uint32_t fingerprint_before = 0;
    std::uint32_t fingerprint_after = 0;
    //! Where the sweep was written: `<stem>.md`, `.csv` and `.svg` (empty: not written).
    std::filesystem::path files;
};

//! The rate of step `i` of `n` (from 0): start * (end / start)^(i / (n - 1)).
[[nodiscard]] inline double sweep_lr(lr_find_options const& o, int i) {
    if (o.steps <= 1)
        return o.start_lr;
    return o.start_lr
           * std::pow(o.end_lr / o.start_lr,
                      static_cast<double>(i) / static_cast<double>(o.steps - 1));
}

//! Refuses options the sweep cannot run with, naming what was expected.
inline void check_lr_find_options(lr_find_options const& o) {
    if (!(o.start_lr > 0.0) || !std::isfinite(o.start_lr))
        throw error("--find-lr-start", "a rate above 0", fmt::format("{}", o.start_lr));
    if (!(o.end_lr > o.start_lr) || !std::isfinite(o.end_lr))
        throw error("--find-lr-end",
                    fmt::format("a rate above --find-lr-start ({})", o.start_lr),
                    fmt::format("{}", o.end_lr));
    if (o.steps < 10)
        throw error("--find-lr-steps",
                    "at least 10 steps (the suggestions leave out the first tenth and the "
                    "last 5)",
                    std::to_string(o.steps));
}

//! The smoothed loss as fastai computes it: avg = beta * avg + (1 - beta) * loss, divided
//! by 1 - beta^(i + 1) so the first steps are not pulled towards 0.
class smoothed_loss {
public:
    explicit smoothed_loss(double beta)
        : beta_(beta) {}
    double add(double loss) {
        average_ = beta_ * average_ + (1.0 - beta_) * loss;
        power_ *= beta_;
        return average_ / (1.0 - power_);
    }

private:
    double beta_;
    double average_ = 0.0;
    double power_ = 1.0;
};

namespace detail {
//! The part of a sweep the suggestions read, as fastai's lr_find: without the first tenth
//! (the loss has barely moved) and the last 5 steps (diverging).
inline std::pair<std::size_t, std::size_t> suggestion_range(std::size_t n) {
    auto const first = n / 10;
    auto const last = n > 5 ? n - 5 : n;
    return {first, std::max(last, first)};
}
} // namespace detail

//! fastai's `steep`: the rate where the smoothed loss falls fastest against log(rate),
//! over the suggestion range up to its lowest smoothed loss. Past the lowest point the
//! sweep is diverging: a network whose loss blew up can fall back towards chance (a
//! BatchNorm ResNet does, from a spike back to ln(classes)) faster than it ever fell
//! while training, and that fall is no rate to train at.
[[nodiscard]] inline lr_suggestion steepest_suggestion(std::vector<double> const& lrs,
                                                       std::vector<double> const& losses) {
    auto [first, last] = detail::suggestion_range(lrs.size());
    lr_suggestion s{"steepest descent", 0.0, 0.0, first};
    if (last - first < 2)
        return s;
    std::size_t lowest = first;
    for (std::size_t i = first; i < last; ++i)
        if (std::isfinite(losses[i]) && !(losses[i] >= losses[lowest]))
            lowest = i;
    last = std::max(lowest + 1, first + 2);
    double best = std::numeric_limits<double>::infinity();
    for (std::size_t i = first; i + 1 < last; ++i) {
        double const slope =
            (losses[i + 1] - losses[i]) / (std::log(lrs[i + 1]) - std::log(lrs[i]));
        if (std::isfinite(slope) && slope < best) {
            best = slope;
            s.index = i;
        }
    }
    s.lr = lrs[s.index];
    s.loss = losses[s.index];
    return s;
}

//! fastai's `valley`: the longest run of steps over which the smoothed loss keeps falling
//! (a longest decreasing subsequence, ending where it is longest), and the rate a little
//! past the first third of it, at index start + int(len / 3) + int(len / 6).
[[nodiscard]] inline lr_suggestion valley_suggestion(std::vector<double> const& lrs,
                                                     std::vector<double> const& losses) {
    auto const [first, last] = detail::suggestion_range(lrs.size());
    lr_suggestion s{"valley", 0.0, 0.0, first};
    auto const n = last - first;
    if (n == 0)
        return s;
    // fastai's arithmetic, in signed integers: its start can be one before the range.
    std::vector<long> run(n, 1);
    long max_start = 0, max_end = 0;
    for (std::size_t i = 1; i < n; ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            if (losses[first + i] < losses[first + j] && run[i] < run[j] + 1)
                run[i] = run[j] + 1;
            if (run[static_cast<std::size_t>(max_end)] < run[i]) {
                max_end = static_cast<long>(i);
                max_start = max_end - run[i];
            }
        }
    }
    double const sections = static_cast<double>(max_end - max_start) / 3.0;
    auto const at =
        max_start + static_cast<long>(sections) + static_cast<long>(sections / 2.0);
    s.index =
        first + static_cast<std::size_t>(std::clamp(at, 0L, static_cast<long>(n) - 1));
    s.lr = lrs[s.index];
    s.loss = losses[s.index];
    return s;
}

//! The sweep as CSV: step, lr, loss, smoothed_loss.
[[nodiscard]] inline std::string lr_find_csv(lr_finding const& f) {
    std::string out = "step,lr,loss,smoothed_loss\n";
    for (std::size_t i = 0; i < f.lrs.size(); ++i)
        out += fmt::format("{},{:.6g},{:.6g},{:.6g}\n", i + 1, f.lrs[i], f.losses[i],
                           f.smoothed[i]);
    return out;
}

//! What the finder prints and writes beside its plot: the suggestions, how to use them,
//! and the sweep at every tenth of its steps.
[[nodiscard]] inline std::string lr_find_markdown(lr_finding const& f) {
    std::string out =
        fmt::format("# Learning-rate finder\n\nexperiment: `{}`\n\n{} steps "
                    "from {:.3g} to {:.3g}: {}\n\n",
                    f.experiment, f.lrs.size(), f.lrs.empty() ? 0.0 : f.lrs.front(),
                    f.lrs.empty() ? 0.0 : f.lrs.back(), f.stopped);
    out += "| suggestion | rate | smoothed loss there |\n| --- | --- | --- |\n";
    for (auto const* s : {&f.valley, &f.steep})
        out += fmt::format("| {} | {:.3g} | {:.4f} |\n", s->rule, s->lr, s->loss);
    out += "\nThe rates are the schedule's base rate (Optimizer<..., {.lr}>); each block "
           "trains at it times its LrScale or layer decay, frozen blocks not at all. "
           "fastai's advice: start from the valley (robust), or the steepest descent for "
           "a shorter run; both are read off the smoothed loss.\n\n";
    out += "| step | rate | loss | smoothed |\n| --- | --- | --- | --- |\n";
    auto const n = f.lrs.size();
    auto const every = std::max<std::size_t>(1, n / 10);
    for (std::size_t i = 0; i < n; i += every)
        out += fmt::format("| {} | {:.3g} | {:.4f} | {:.4f} |\n", i + 1, f.lrs[i],
                           f.losses[i], f.smoothed[i]);
    return out;
}

//! The smoothed loss against the rate (log axis) as an SVG document, with the
//! suggestions marked.
[[nodiscard]] inline std::string lr_find_svg(lr_finding const& f) {
    double const width = 720, height = 420;
    double const left = 70, top = 40, plot_w = width - 100, plot_h = height - 100;
    std::string out = fmt::format(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
        "viewBox=\"0 0 {0} {1}\">\n<rect width=\"{0}\" height=\"{1}\" fill=\"white\"/>\n"
        "<g font-family=\"sans-serif\" font-size=\"11\">\n<text x=\"{2}\" y=\"20\" "
        "font-size=\"13\" font-weight=\"bold\">learning-rate finder: {3}</text>\n",
        width, height, left, detail::escape_xml(f.experiment));
    if (f.lrs.size() < 2)
        return out + "</g>\n</svg>\n";
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (double v : f.smoothed)
        if (std::isfinite(v)) {
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
    // The divergence at the end would flatten the rest: the axis stops at 4x the lowest.
    hi = std::min(hi, lo + 4.0 * std::max(lo, 1e-12));
    if (hi - lo < 1e-12)
        hi = lo + 1.0;
    double const step = detail::nice_step(hi - lo, 5);
    lo = std::floor(lo / step) * step;
    hi = std::ceil(hi / step) * step;
    double const x_lo = std::log10(f.lrs.front()), x_hi = std::log10(f.lrs.back());
    auto const x_at = [&](double lr) {
        return left + plot_w * (std::log10(lr) - x_lo) / (x_hi - x_lo);
    };
    auto const y_at = [&](double v) {
        return top + plot_h * (hi - std::clamp(v, lo, hi)) / (hi - lo);
    };
    out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" "
                       "stroke=\"#888\"/>\n",
                       left, top, plot_w, plot_h);
    for (double v = lo; v <= hi + step / 2; v += step)
        out += fmt::format("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" "
                           "stroke=\"#ddd\"/><text x=\"{3}\" y=\"{4:.1f}\" "
                           "text-anchor=\"end\">{5:.4g}</text>\n",
                           left, left + plot_w, y_at(v), left - 4, y_at(v) + 4, v);
    for (double p = std::ceil(x_lo); p <= x_hi + 1e-9; p += 1.0)
        out += fmt::format("<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\" "
                           "stroke=\"#eee\"/><text x=\"{0:.1f}\" y=\"{3}\" "
                           "text-anchor=\"middle\">1e{4}</text>\n",
                           x_at(std::pow(10.0, p)), top, top + plot_h, top + plot_h + 14,
                           static_cast<int>(p));
    out += fmt::format(
        "<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">learning rate "
        "(log scale)</text>\n<text x=\"14\" y=\"{:.1f}\" "
        "transform=\"rotate(-90 14 {:.1f})\" text-anchor=\"middle\">smoothed "
        "loss</text>\n",
        left + plot_w / 2, top + plot_h + 30, top + plot_h / 2, top + plot_h / 2);
    std::string points;
    for (std::size_t i = 0; i < f.lrs.size(); ++i)
        if (std::isfinite(f.smoothed[i]))
            points += fmt::format("{:.1f},{:.1f} ", x_at(f.lrs[i]), y_at(f.smoothed[i]));
    out += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"#1f77b4\" "
                       "stroke-width=\"2\"/>\n",
                       points);
    double ly = top + 14;
    for (auto const& [s, color] :
         {std::pair{&f.valley, "#d62728"}, std::pair{&f.steep, "#2ca02c"}}) {
        out += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"5\" fill=\"{}\"/>\n"
                           "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"5\" fill=\"{}\"/>"
                           "<text x=\"{:.1f}\" y=\"{:.1f}\">{}: {:.3g}</text>\n",
                           x_at(s->lr), y_at(s->loss), color, left + 12, ly, color,
                           left + 22, ly + 4, s->rule, s->lr);
        ly += 16;
    }
    return out + "</g>\n</svg>\n";
}

} // namespace pipeline
