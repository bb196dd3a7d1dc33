// What the test pass got wrong, class by class (fastai's ClassificationInterpretation,
// scikit-learn's classification_report): the confusion matrix, each class's precision,
// recall and F1, the most-confused pairs and the highest-loss examples, as `report.md` and
// `confusion.svg` in the run directory. Built from the predictions alone, so it is the
// same for a run's test pass and for `classify --report`. Torch-free.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <pipeline/error.hpp>
#include <pipeline/record/curves.hpp>

namespace pipeline {

//! A model's predictions on a labelled set: per example its true class, predicted class
//! (the argmax) and unsmoothed cross-entropy, and where the set has them, its file names.
struct prediction_set {
    std::vector<int> labels;
    std::vector<int> predicted;
    std::vector<double> losses;
    std::vector<std::string> names; //!< empty: examples are named by their index
};

//! Precision, recall and F1 of one class, and how many examples it has (its support). A
//! class that is never predicted has precision 0, one without examples recall 0 (as
//! scikit-learn's zero_division=0), and F1 0 where both are 0.
struct class_scores {
    double precision = 0.0;
    double recall = 0.0;
    double f1 = 0.0;
    std::int64_t support = 0;
};

//! A pair of classes the model confuses: examples of `actual` predicted as `predicted`.
struct confused_pair {
    int actual = 0;
    int predicted = 0;
    std::int64_t count = 0;
};

//! One of the examples the model got most wrong.
struct hard_example {
    std::int64_t index = 0;
    std::string name;
    int actual = 0;
    int predicted = 0;
    double loss = 0.0;
};

struct class_report {
    std::vector<std::string> class_names;
    //! confusion[actual][predicted]: examples of class `actual` predicted as `predicted`.
    std::vector<std::vector<std::int64_t>> confusion;
    std::vector<class_scores> scores;
    std::int64_t examples = 0;
    double accuracy = 0.0;
    double macro_f1 = 0.0;    //!< unweighted mean over the classes
    double weighted_f1 = 0.0; //!< weighted by support
    //! Every off-diagonal pair with at least one example, most frequent first (ties: by
    //! actual, then predicted class), as fastai's most_confused.
    std::vector<confused_pair> most_confused;
    //! The `top` highest-loss examples, highest first (ties: by index).
    std::vector<hard_example> top_losses;
};

//! The report of `p` over the classes `class_names`, with its `top` highest-loss examples.
inline class_report make_class_report(prediction_set const& p,
                                      std::vector<std::string> class_names,
                                      std::size_t top = 16) {
    auto const n = p.labels.size();
    auto const k = static_cast<int>(class_names.size());
    if (p.predicted.size() != n || p.losses.size() != n
        || (!p.names.empty() && p.names.size() != n))
        throw error("a prediction set", "as many predictions, losses and names as labels",
                    fmt::format("{} labels, {} predictions, {} losses, {} names", n,
                                p.predicted.size(), p.losses.size(), p.names.size()));
    class_report r;
    r.class_names = std::move(class_names);
    r.examples = static_cast<std::int64_t>(n);
    r.confusion.assign(k, std::vector<std::int64_t>(k, 0));
    for (std::size_t i = 0; i < n; ++i) {
        auto const a = p.labels[i];
        auto const q = p.predicted[i];
        if (a < 0 || a >= k || q < 0 || q >= k)
            throw error(fmt::format("example {} of a prediction set", i),
                        fmt::format("classes from 0 to {}", k - 1),
                        fmt::format("label {}, prediction {}", a, q));
        ++r.confusion[a][q];
    }
    std::int64_t correct = 0;
    r.scores.resize(k);
    for (int c = 0; c < k; ++c) {
        std::int64_t predicted_as = 0;
        for (int a = 0; a < k; ++a)
            predicted_as += r.confusion[a][c];
        auto& s = r.scores[c];
        s.support =
            std::accumulate(r.confusion[c].begin(), r.confusion[c].end(), std::int64_t{0});
        auto const tp = r.confusion[c][c];
        correct += tp;
        s.precision = predicted_as > 0 ? static_cast<double>(tp) / predicted_as : 0.0;
        s.recall = s.support > 0 ? static_cast<double>(tp) / s.support : 0.0;
        s.f1 = s.precision + s.recall > 0.0
                   ? 2.0 * s.precision * s.recall / (s.precision + s.recall)
                   : 0.0;
        r.macro_f1 += s.f1 / k;
        if (n > 0)
            r.weighted_f1 += s.f1 * static_cast<double>(s.support) / static_cast<double>(n);
    }
    r.accuracy = n > 0 ? static_cast<double>(correct) / static_cast<double>(n) : 0.0;
    for (int a = 0; a < k; ++a)
        for (int q = 0; q < k; ++q)
            if (a != q && r.confusion[a][q] > 0)
                r.most_confused.push_back({a, q, r.confusion[a][q]});
    std::stable_sort(
        r.most_confused.begin(), r.most_confused.end(),
        [](confused_pair const& x, confused_pair const& y) { return x.count > y.count; });
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t{0});
    auto const keep = std::min(top, n);
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(keep),
                      order.end(), [&p](std::size_t x, std::size_t y) {
                          return p.losses[x] > p.losses[y]
                                 || (p.losses[x] == p.losses[y] && x < y);
                      });
    for (std::size_t j = 0; j < keep; ++j) {
        auto const i = order[j];
        r.top_losses.push_back({static_cast<std::int64_t>(i),
                                p.names.empty() ? fmt::format("#{}", i) : p.names[i],
                                p.labels[i], p.predicted[i], p.losses[i]});
    }
    return r;
}

namespace detail {
//! A name as a Markdown table cell ('|' would end the cell).
inline std::string table_cell(std::string const& text) {
    std::string out;
    for (char c : text)
        out += c == '|' ? std::string("\\|") : std::string(1, c);
    return out;
}
} // namespace detail

//! `report.md`: the totals, the per-class table, the confusion matrix, the most-confused
//! pairs and the highest-loss examples, under a title naming `what` (the experiment).
inline std::string report_markdown(class_report const& r, std::string const& what) {
    std::vector<std::string> names;
    for (auto const& name : r.class_names)
        names.push_back(detail::table_cell(name));
    auto const k = names.size();
    std::string md = fmt::format("# Per-class report\n\n{}\n\n", what);
    md += fmt::format("{} examples | accuracy {:.2f}% | macro F1 {:.4f} | weighted F1 "
                      "{:.4f}\n\n",
                      r.examples, 100.0 * r.accuracy, r.macro_f1, r.weighted_f1);
    md +=
        "| class | precision | recall | F1 | support |\n| --- | --- | --- | --- | --- |\n";
    for (std::size_t c = 0; c < k; ++c) {
        auto const& s = r.scores[c];
        md += fmt::format("| {} | {:.4f} | {:.4f} | {:.4f} | {} |\n", names[c], s.precision,
                          s.recall, s.f1, s.support);
    }
    md +=
        "\n## Confusion matrix\n\nRows: the true class; columns: the predicted class.\n\n";
    md += "| true \\ predicted |";
    for (auto const& name : names)
        md += " " + name + " |";
    md += "\n| --- |";
    for (std::size_t c = 0; c < k; ++c)
        md += " ---: |";
    md += "\n";
    for (std::size_t a = 0; a < k; ++a) {
        md += "| " + names[a] + " |";
        for (std::size_t q = 0; q < k; ++q)
            md += fmt::format(" {} |", r.confusion[a][q]);
        md += "\n";
    }
    md += "\n## Most confused\n\n";
    if (r.most_confused.empty())
        md += "No example was misclassified.\n";
    else {
        md += "| true | predicted as | examples |\n| --- | --- | ---: |\n";
        for (std::size_t j = 0; j < std::min<std::size_t>(r.most_confused.size(), 20);
             ++j) {
            auto const& c = r.most_confused[j];
            md += fmt::format("| {} | {} | {} |\n", names[c.actual], names[c.predicted],
                              c.count);
        }
    }
    md += "\n## Highest loss\n\n| example | true | predicted | loss |\n| --- | --- | --- | "
          "---: |\n";
    for (auto const& h : r.top_losses)
        md += fmt::format("| {} | {} | {} | {:.4f} |\n", detail::table_cell(h.name),
                          names[h.actual], names[h.predicted], h.loss);
    return md;
}

//! `confusion.svg`: the confusion matrix as a heat map, each row shaded by the fraction
//! of its class's examples (so rare classes show as clearly as common ones), the counts
//! written in the cells.
inline std::string confusion_svg(class_report const& r, std::string const& title) {
    auto const k = static_cast<int>(r.class_names.size());
    int const cell = std::clamp(480 / std::max(k, 1), 18, 48);
    int const label_w = 130;
    int const top = 60;
    int const width = label_w + k * cell + 20;
    int const height = top + k * cell + 110;
    std::string svg = fmt::format(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
        "font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" "
        "height=\"100%\" "
        "fill=\"white\"/>\n<text x=\"10\" y=\"18\" font-size=\"13\">{}</text>\n<text "
        "x=\"10\" "
        "y=\"36\">confusion matrix: rows the true class, columns the predicted class; "
        "shade: fraction of the row</text>\n",
        width, height, detail::escape_xml(title));
    for (int a = 0; a < k; ++a) {
        auto const support = std::max<std::int64_t>(r.scores[a].support, 1);
        svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
                           label_w - 6, top + a * cell + cell / 2 + 4,
                           detail::escape_xml(r.class_names[a]));
        for (int q = 0; q < k; ++q) {
            auto const count = r.confusion[a][q];
            double const f = static_cast<double>(count) / static_cast<double>(support);
            // White to dark blue.
            auto const shade = [f](int from, int to) {
                return static_cast<int>(std::lround(from + (to - from) * f));
            };
            svg += fmt::format(
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"rgb({},{},{})\" "
                "stroke=\"#ddd\"/>\n",
                label_w + q * cell, top + a * cell, cell, cell, shade(255, 8),
                shade(255, 48), shade(255, 107));
            if (count > 0)
                svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" "
                                   "fill=\"{}\" font-size=\"{}\">{}</text>\n",
                                   label_w + q * cell + cell / 2,
                                   top + a * cell + cell / 2 + 4,
                                   f > 0.5 ? "white" : "black", cell >= 36 ? 11 : 8, count);
        }
    }
    for (int q = 0; q < k; ++q) {
        int const x = label_w + q * cell + cell / 2;
        int const y = top + k * cell + 8;
        svg += fmt::format(
            "<text x=\"{}\" y=\"{}\" transform=\"rotate(45 {} {})\">{}</text>\n", x, y, x,
            y, detail::escape_xml(r.class_names[q]));
    }
    svg += "</svg>\n";
    return svg;
}

} // namespace pipeline
