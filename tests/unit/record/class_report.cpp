// record/class_report: the per-class report of a constructed prediction set whose
// confusion matrix, precision, recall, F1, most-confused pairs and highest losses are
// worked out by hand below.
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <pipeline/record/class_report.hpp>

#include "../support.hpp"

using namespace pipeline;

namespace {
// Three classes, ten examples:
//   cat (0): 4 examples, predicted cat, cat, cat, dog
//   dog (1): 3 examples, predicted dog, cat, cat
//   owl (2): 3 examples, predicted owl, owl, dog
// confusion = [[3,1,0],[2,1,0],[0,1,2]]
//   cat: precision 3/5, recall 3/4, F1 2*.6*.75/1.35 = 2/3
//   dog: precision 1/3, recall 1/3, F1 1/3
//   owl: precision 2/2, recall 2/3, F1 0.8
prediction_set constructed() {
    prediction_set p;
    p.labels = {0, 0, 0, 0, 1, 1, 1, 2, 2, 2};
    p.predicted = {0, 0, 0, 1, 1, 0, 0, 2, 2, 1};
    p.losses = {0.1, 0.2, 0.3, 1.5, 0.4, 2.5, 0.9, 0.05, 0.15, 2.5};
    return p;
}
} // namespace

TEST_CASE("record/class_report: a constructed set, worked out by hand") {
    auto const r = make_class_report(constructed(), {"cat", "dog", "owl"}, 3);
    CHECK(r.examples == 10);
    CHECK(r.confusion
          == std::vector<std::vector<std::int64_t>>{{3, 1, 0}, {2, 1, 0}, {0, 1, 2}});
    CHECK(r.accuracy == doctest::Approx(0.6));
    CHECK(r.scores[0].precision == doctest::Approx(0.6));
    CHECK(r.scores[0].recall == doctest::Approx(0.75));
    CHECK(r.scores[0].f1 == doctest::Approx(2.0 / 3.0));
    CHECK(r.scores[1].precision == doctest::Approx(1.0 / 3.0));
    CHECK(r.scores[1].recall == doctest::Approx(1.0 / 3.0));
    CHECK(r.scores[1].f1 == doctest::Approx(1.0 / 3.0));
    CHECK(r.scores[2].precision == doctest::Approx(1.0));
    CHECK(r.scores[2].recall == doctest::Approx(2.0 / 3.0));
    CHECK(r.scores[2].f1 == doctest::Approx(0.8));
    CHECK(r.scores[0].support == 4);
    CHECK(r.macro_f1 == doctest::Approx((2.0 / 3.0 + 1.0 / 3.0 + 0.8) / 3.0));
    CHECK(r.weighted_f1
          == doctest::Approx((4 * 2.0 / 3.0 + 3 * 1.0 / 3.0 + 3 * 0.8) / 10.0));
    // dog->cat twice; then cat->dog and owl->dog once each, by actual class.
    REQUIRE(r.most_confused.size() == 3);
    CHECK(r.most_confused[0].actual == 1);
    CHECK(r.most_confused[0].predicted == 0);
    CHECK(r.most_confused[0].count == 2);
    CHECK(r.most_confused[1].actual == 0);
    CHECK(r.most_confused[1].predicted == 1);
    CHECK(r.most_confused[2].actual == 2);
    // Losses 2.5 (examples 5 and 9, the lower index first), then 1.5 (example 3).
    REQUIRE(r.top_losses.size() == 3);
    CHECK(r.top_losses[0].index == 5);
    CHECK(r.top_losses[0].name == "#5");
    CHECK(r.top_losses[1].index == 9);
    CHECK(r.top_losses[2].index == 3);
    CHECK(r.top_losses[2].actual == 0);
    CHECK(r.top_losses[2].predicted == 1);

    auto const md = report_markdown(r, "Load<X> | Model<Y>");
    CHECK(md.find("10 examples | accuracy 60.00% | macro F1 0.6000") != std::string::npos);
    CHECK(md.find("| cat | 0.6000 | 0.7500 | 0.6667 | 4 |") != std::string::npos);
    CHECK(md.find("| dog | 2 | 1 | 0 |") != std::string::npos);
    CHECK(md.find("| dog | cat | 2 |") != std::string::npos);
    CHECK(md.find("| #5 | dog | cat | 2.5000 |") != std::string::npos);
    auto const svg = confusion_svg(r, "a <title>");
    CHECK(svg.find("a &lt;title&gt;") != std::string::npos);
    CHECK(svg.find(">owl</text>") != std::string::npos);
}

TEST_CASE("record/class_report: names, empty classes and bad input") {
    auto p = constructed();
    p.names = {"a.jpg", "b.jpg", "c.jpg", "d|e.jpg", "e.jpg",
               "f.jpg", "g.jpg", "h.jpg", "i.jpg",   "j.jpg"};
    // A fourth class with no examples and no predictions: every score 0, macro F1 counts
    // it.
    auto const r = make_class_report(p, {"cat", "dog", "owl", "emu"}, 10);
    CHECK(r.scores[3].precision == 0.0);
    CHECK(r.scores[3].recall == 0.0);
    CHECK(r.scores[3].f1 == 0.0);
    CHECK(r.macro_f1 == doctest::Approx((2.0 / 3.0 + 1.0 / 3.0 + 0.8) / 4.0));
    CHECK(r.top_losses[2].name == "d|e.jpg");
    CHECK(report_markdown(r, "x").find("| d\\|e.jpg | cat | dog |") != std::string::npos);

    p.predicted[0] = 3;
    CHECK(testing::message_of([&] {
              (void)make_class_report(p, {"cat", "dog", "owl"});
          })
          == "example 0 of a prediction set: expected classes from 0 to 2, found label 0, "
             "prediction 3");
    p = constructed();
    p.losses.pop_back();
    CHECK(testing::message_of([&] {
              (void)make_class_report(p, {"cat", "dog", "owl"});
          })
          == "a prediction set: expected as many predictions, losses and names as labels, "
             "found 10 labels, 10 predictions, 9 losses, 0 names");
}
