// record/lr_find: the learning-rate finder's arithmetic on constructed loss curves whose
// answers are known (worked out with fastai's own `valley` and `steep` code on the same
// numbers): the sweep's rates, the debiased smoothing, both suggestions, the refused
// options and what the plot and the table show.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <pipeline/record/lr_find.hpp>

#include "../support.hpp"

using namespace pipeline;

namespace {
//! 100 rates from 1e-5 to 1, as a sweep of 100 steps takes them.
std::vector<double> rates() {
    lr_find_options o;
    o.start_lr = 1e-5;
    o.end_lr = 1.0;
    std::vector<double> lrs;
    for (int i = 0; i < o.steps; ++i)
        lrs.push_back(sweep_lr(o, i));
    return lrs;
}
} // namespace

TEST_CASE("record/lr_find: the sweep's rates rise exponentially from start to end") {
    auto const lrs = rates();
    REQUIRE(lrs.size() == 100);
    CHECK(lrs.front() == doctest::Approx(1e-5));
    CHECK(lrs.back() == doctest::Approx(1.0));
    for (std::size_t i = 1; i < lrs.size(); ++i)
        CHECK(lrs[i] / lrs[i - 1] == doctest::Approx(std::pow(1e5, 1.0 / 99.0)));
}

TEST_CASE("record/lr_find: the smoothed loss is debiased: a constant stays constant") {
    smoothed_loss s(0.98);
    for (int i = 0; i < 5; ++i)
        CHECK(s.add(2.5) == doctest::Approx(2.5));
    // Then it follows a change slowly: 2% of the way per step.
    CHECK(s.add(0.5) == doctest::Approx(2.5 - 2.0 * 0.02 / (1.0 - std::pow(0.98, 6))));
}

TEST_CASE("record/lr_find: steepest descent is where the loss falls fastest against "
          "log(rate)") {
    auto const lrs = rates();
    std::vector<double> losses;
    for (double lr : lrs)
        losses.push_back(2.0 - std::tanh(2.0 * (std::log10(lr) + 2.0)));
    auto const s = steepest_suggestion(lrs, losses);
    CHECK(s.rule == "steepest descent");
    // The steepest point of the curve is 1e-2, between steps 59 and 60 (from 0).
    CHECK(s.index == 59);
    CHECK(s.lr == doctest::Approx(0.0095455).epsilon(1e-4));
    CHECK(s.loss == doctest::Approx(losses[59]));
    // A valley on a curve that falls all the way: index 41 of the range, from step 10.
    CHECK(valley_suggestion(lrs, losses).index == 51);
}

TEST_CASE("record/lr_find: the valley is a little past the first third of the longest "
          "fall") {
    auto const lrs = rates();
    std::vector<double> losses;
    // Flat to step 29, falling linearly to step 70, then diverging.
    for (int i = 0; i < 100; ++i)
        losses.push_back(i < 30    ? 2.0
                         : i <= 70 ? 2.0 - 1.5 * (i - 30) / 40.0
                                   : 0.5 + 0.2 * (i - 70));
    auto const v = valley_suggestion(lrs, losses);
    CHECK(v.rule == "valley");
    CHECK(v.index == 48);
    CHECK(v.lr == doctest::Approx(lrs[48]));
    // The suggestions ignore the first tenth and the last 5 steps.
    std::vector<double> spiky = losses;
    spiky[2] = -100.0;
    spiky[97] = -100.0;
    CHECK(valley_suggestion(lrs, spiky).index == 48);
    CHECK(steepest_suggestion(lrs, spiky).index >= 30);
}

TEST_CASE("record/lr_find: steepest descent is read before the lowest loss, never on a "
          "fall back from divergence") {
    auto const lrs = rates();
    std::vector<double> losses;
    // Falls from 2.3 to 0.8 over steps 30 to 60, blows up to 6 by step 80, then falls back
    // to 2.3 by step 88: faster than it ever fell while training.
    for (int i = 0; i < 100; ++i)
        losses.push_back(i < 30    ? 2.3
                         : i <= 60 ? 2.3 - 1.5 * (i - 30) / 30.0
                         : i <= 80 ? 0.8 + 5.2 * (i - 60) / 20.0
                         : i <= 88 ? 6.0 - 3.7 * (i - 80) / 8.0
                                   : 2.3);
    auto const s = steepest_suggestion(lrs, losses);
    CHECK(s.index >= 30);
    CHECK(s.index < 60);
    CHECK(s.loss < 2.3);
}

TEST_CASE("record/lr_find: a short sweep still suggests a rate inside it") {
    std::vector<double> lrs{1e-3, 1e-2, 1e-1};
    std::vector<double> losses{2.0, 1.0, 3.0};
    CHECK(valley_suggestion(lrs, losses).index < 3);
    CHECK(steepest_suggestion(lrs, losses).index < 3);
}

TEST_CASE("record/lr_find: options the sweep cannot run with are refused") {
    lr_find_options o;
    o.start_lr = 0.0;
    CHECK(testing::message_of([&] { check_lr_find_options(o); })
          == "--find-lr-start: expected a rate above 0, found 0");
    o.start_lr = 1e-3;
    o.end_lr = 1e-4;
    CHECK(testing::message_of([&] { check_lr_find_options(o); })
          == "--find-lr-end: expected a rate above --find-lr-start (0.001), found 0.0001");
    o.end_lr = 1.0;
    o.steps = 5;
    CHECK(testing::message_of([&] { check_lr_find_options(o); })
          == "--find-lr-steps: expected at least 10 steps (the suggestions leave out the "
             "first tenth and the last 5), found 5");
    o.steps = 10;
    CHECK(testing::message_of([&] { check_lr_find_options(o); }) == "(no error)");
}

TEST_CASE("record/lr_find: the table, the CSV and the plot show the sweep and both "
          "suggestions") {
    lr_finding f;
    f.experiment = "Load<FashionMNIST> | Model<ResNet18>";
    f.lrs = rates();
    for (double lr : f.lrs)
        f.losses.push_back(2.0 - std::tanh(2.0 * (std::log10(lr) + 2.0)));
    f.smoothed = f.losses;
    f.stopped = "reached the last rate, 1";
    f.steep = steepest_suggestion(f.lrs, f.smoothed);
    f.valley = valley_suggestion(f.lrs, f.smoothed);
    auto const md = lr_find_markdown(f);
    CHECK(md.find("| valley | ") != std::string::npos);
    CHECK(md.find("| steepest descent | 0.00955 | ") != std::string::npos);
    CHECK(md.find("100 steps from 1e-05 to 1: reached the last rate") != std::string::npos);
    auto const csv = lr_find_csv(f);
    CHECK(std::count(csv.begin(), csv.end(), '\n') == 101);
    CHECK(csv.rfind("step,lr,loss,smoothed_loss\n1,1e-05,", 0) == 0);
    auto const svg = lr_find_svg(f);
    CHECK(svg.rfind("<svg ", 0) == 0);
    CHECK(svg.find("valley: ") != std::string::npos);
    CHECK(svg.find("steepest descent: 0.00955") != std::string::npos);
    CHECK(svg.find(">1e-05<") == std::string::npos); // ticks are written 1e-5 ... 1e0
    CHECK(svg.find(">1e-5<") != std::string::npos);
    CHECK(svg.find(">1e0<") != std::string::npos);
    CHECK(svg.find("Load&lt;FashionMNIST&gt;") != std::string::npos);
    CHECK(svg.find("<polyline") != std::string::npos);
}
