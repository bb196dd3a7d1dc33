// A run's learning curves as a picture: `curves.svg` beside metrics.csv, one panel for the
// loss and one for the accuracy over the epochs, training (as seen: augmented) dashed,
// clean training and validation solid, the weight average's validation dotted. Written
// as SVG text: Debian has no C++ charting library, and drawing through cairo would still
// leave the scales, ticks and legend to us. Torch-free.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <pipeline/record/records.hpp>

namespace pipeline {

//! One line of a chart.
struct chart_series {
    std::string name;
    std::string color;
    std::vector<double> values; //!< one per x
    std::string dash;           //!< SVG stroke-dasharray, empty for solid
};

namespace detail {
//! A "nice" tick step (1, 2 or 5 times a power of ten) for about `ticks` ticks over `span`.
inline double nice_step(double span, int ticks) {
    double const raw = span / std::max(ticks, 1);
    double const power = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (m * power >= raw)
            return m * power;
    return 10.0 * power;
}

inline std::string escape_xml(std::string const& text) {
    std::string out;
    for (char c : text) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        default:
            out += c;
        }
    }
    return out;
}
} // namespace detail

//! A line chart of `series` over x = 1, 2, ..., n as an SVG <g> at (`left`, `top`) of size
//! `width` x `height`, with its title, y ticks and a legend.
inline std::string line_chart(std::string const& title,
                              std::vector<chart_series> const& series, double left,
                              double top, double width, double height) {
    double lo = std::numeric_limits<double>::infinity();
    double hi = -lo;
    std::size_t n = 0;
    for (auto const& s : series)
        for (double v : s.values)
            if (std::isfinite(v)) {
                lo = std::min(lo, v);
                hi = std::max(hi, v);
                n = std::max(n, s.values.size());
            }
    if (n == 0)
        return "";
    if (hi - lo < 1e-12) {
        lo -= 0.5;
        hi += 0.5;
    }
    double const step = detail::nice_step(hi - lo, 5);
    lo = std::floor(lo / step) * step;
    hi = std::ceil(hi / step) * step;
    double const plot_left = left + 50, plot_top = top + 25;
    double const plot_w = width - 60, plot_h = height - 60;
    auto const x_at = [&](std::size_t i) {
        return plot_left
               + (n == 1 ? plot_w / 2
                         : plot_w * static_cast<double>(i) / static_cast<double>(n - 1));
    };
    auto const y_at = [&](double v) { return plot_top + plot_h * (hi - v) / (hi - lo); };
    std::string out = fmt::format(
        "<g font-family=\"sans-serif\" font-size=\"11\">\n"
        "<text x=\"{}\" y=\"{}\" font-size=\"13\" font-weight=\"bold\">{}</text>\n"
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" "
        "stroke=\"#888\"/>\n",
        plot_left, top + 15, detail::escape_xml(title), plot_left, plot_top, plot_w,
        plot_h);
    for (double v = lo; v <= hi + step / 2; v += step)
        out += fmt::format("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" "
                           "stroke=\"#ddd\"/><text x=\"{3}\" y=\"{4:.1f}\" "
                           "text-anchor=\"end\">{5:.4g}</text>\n",
                           plot_left, plot_left + plot_w, y_at(v), plot_left - 4,
                           y_at(v) + 4, v);
    std::size_t const every = std::max<std::size_t>(1, (n + 9) / 10);
    for (std::size_t i = 0; i < n; i += every)
        out += fmt::format(
            "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n", x_at(i),
            plot_top + plot_h + 14, i + 1);
    out +=
        fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">epoch</text>\n",
                    plot_left + plot_w / 2, plot_top + plot_h + 28);
    for (std::size_t k = 0; k < series.size(); ++k) {
        auto const& s = series[k];
        std::string points;
        for (std::size_t i = 0; i < s.values.size(); ++i)
            if (std::isfinite(s.values[i]))
                points += fmt::format("{:.1f},{:.1f} ", x_at(i), y_at(s.values[i]));
        out += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" "
                           "stroke-width=\"2\"{}/>\n",
                           points, s.color,
                           s.dash.empty() ? "" : " stroke-dasharray=\"" + s.dash + "\"");
        double const ly = plot_top + 8 + 14 * static_cast<double>(k);
        out +=
            fmt::format("<line x1=\"{0:.1f}\" x2=\"{1:.1f}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" "
                        "stroke=\"{3}\" stroke-width=\"2\"{4}/><text x=\"{5:.1f}\" "
                        "y=\"{6:.1f}\">{7}</text>\n",
                        plot_left + plot_w - 150, plot_left + plot_w - 130, ly, s.color,
                        s.dash.empty() ? "" : " stroke-dasharray=\"" + s.dash + "\"",
                        plot_left + plot_w - 126, ly + 4, detail::escape_xml(s.name));
    }
    return out + "</g>\n";
}

//! The learning curves of `records` as a whole SVG document: loss on the left, accuracy
//! on the right, titled `title` (the experiment).
inline std::string learning_curves_svg(std::vector<epoch_record> const& records,
                                       std::string const& title) {
    auto column = [&](auto field) {
        std::vector<double> v;
        for (auto const& r : records)
            v.push_back(field(r));
        return v;
    };
    bool const ema = !records.empty() && records.front().ema_val.size() == 2;
    std::vector<chart_series> loss{
        {"train (augmented)", "#1f77b4",
         column([](auto& r) { return r.metrics.train_loss; }), "6,4"},
        {"train (clean)", "#1f77b4",
         column([](auto& r) { return r.metrics.clean_train_loss; }), ""},
        {"validation", "#d62728", column([](auto& r) { return r.metrics.val_loss; }), ""}};
    std::vector<chart_series> acc{
        {"train (augmented)", "#1f77b4",
         column([](auto& r) { return r.metrics.train_acc; }), "6,4"},
        {"train (clean)", "#1f77b4",
         column([](auto& r) { return r.metrics.clean_train_acc; }), ""},
        {"validation", "#d62728", column([](auto& r) { return r.metrics.val_acc; }), ""}};
    if (ema) {
        loss.push_back({"average (Ema)", "#2ca02c",
                        column([](auto& r) { return r.ema_val[0]; }), "2,3"});
        acc.push_back({"average (Ema)", "#2ca02c",
                       column([](auto& r) { return r.ema_val[1]; }), "2,3"});
    }
    return fmt::format(
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"960\" height=\"380\" "
               "viewBox=\"0 0 960 380\">\n<rect width=\"960\" height=\"380\" "
               "fill=\"white\"/>\n<text x=\"10\" y=\"16\" font-family=\"sans-serif\" "
               "font-size=\"11\" fill=\"#444\">{}</text>\n",
               detail::escape_xml(title))
           + line_chart("loss", loss, 0, 24, 480, 350)
           + line_chart("accuracy", acc, 480, 24, 480, 350) + "</svg>\n";
}

} // namespace pipeline
