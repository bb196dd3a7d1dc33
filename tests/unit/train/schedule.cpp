// train/schedule: the schedules against their closed forms.
#include <cmath>
#include <numbers>
#include <vector>

#include <doctest/doctest.h>

#include <pipeline/train/schedule.hpp>

using namespace pipeline;

TEST_CASE("train/schedule: Constant") {
    CHECK(
        scheduled_lr<Constant>(0.1, {.step = 77, .steps_per_epoch = 10, .total_steps = 100})
        == 0.1);
}

TEST_CASE("train/schedule: Cosine without warm-up: start, midpoint, end") {
    using S = Cosine::with<{.min_lr = 0.001}>;
    schedule_clock c{.step = 0, .steps_per_epoch = 10, .total_steps = 100};
    CHECK(scheduled_lr<S>(0.1, c) == doctest::Approx(0.1));
    c.step = 50;
    CHECK(scheduled_lr<S>(0.1, c) == doctest::Approx((0.1 + 0.001) / 2));
    c.step = 100;
    CHECK(scheduled_lr<S>(0.1, c) == doctest::Approx(0.001));
    c.step = 25;
    CHECK(scheduled_lr<S>(0.1, c)
          == doctest::Approx(0.001 + 0.099 * 0.5 * (1 + std::cos(std::numbers::pi / 4))));
}

TEST_CASE("train/schedule: Cosine with warm-up ramps linearly and peaks at warm-up end") {
    using S = Cosine::with<{.warmup_epochs = 2}>;
    schedule_clock c{.step = 0, .steps_per_epoch = 10, .total_steps = 100};
    CHECK(scheduled_lr<S>(0.2, c) == doctest::Approx(0.2 / 20));
    c.step = 9;
    CHECK(scheduled_lr<S>(0.2, c) == doctest::Approx(0.2 * 10 / 20));
    c.step = 19; // last warm-up step
    CHECK(scheduled_lr<S>(0.2, c) == doctest::Approx(0.2));
    c.step = 20; // cosine starts at the base rate
    CHECK(scheduled_lr<S>(0.2, c) == doctest::Approx(0.2));
    c.step = 60; // midpoint of the 80 cosine steps
    CHECK(scheduled_lr<S>(0.2, c) == doctest::Approx(0.1));
    c.step = 99;
    CHECK(scheduled_lr<S>(0.2, c) < 0.001);
}

TEST_CASE(
    "train/schedule: OneCycle matches torch's OneCycleLR: start, peak, midpoint, end") {
    // Reference values: torch 1.13 OneCycleLR(max_lr=0.1, total_steps=100,
    // cycle_momentum=False), read before each step.
    using S = OneCycle;
    schedule_clock c{.step = 0, .steps_per_epoch = 10, .total_steps = 100};
    CHECK(scheduled_lr<S>(0.1, c) == doctest::Approx(0.1 / 25));
    c.step = 10;
    CHECK(scheduled_lr<S>(0.1, c) == doctest::Approx(0.029516394846410082));
    c.step = 29; // end of the rise: pct_start * 100 - 1
    CHECK(scheduled_lr<S>(0.1, c) == doctest::Approx(0.1));
    c.step = 50;
    CHECK(scheduled_lr<S>(0.1, c) == doctest::Approx(0.0793893450575732));
    c.step = 64; // midpoint of the descent: halfway between the peak and the floor
    CHECK(scheduled_lr<S>(0.1, c) == doctest::Approx((0.1 + 4e-7) / 2));
    c.step = 99;
    CHECK(scheduled_lr<S>(0.1, c) == doctest::Approx(0.1 / 25 / 1e4));
}

TEST_CASE("train/schedule: Step matches torch's StepLR and warms up like Cosine") {
    using S = Step::with<{.every_epochs = 3, .gamma = 0.5}>;
    schedule_clock c{.step = 0, .steps_per_epoch = 10, .total_steps = 80};
    // torch StepLR(step_size=3, gamma=0.5), per epoch: 0.1 0.1 0.1 0.05 0.05 0.05 0.025 ...
    std::vector<double> const expected{0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025};
    for (int e = 0; e < 8; ++e) {
        c.step = e * 10 + 9; // the last step of each epoch
        CHECK(scheduled_lr<S>(0.1, c) == doctest::Approx(expected[e]));
        c.step = e * 10;
        CHECK(scheduled_lr<S>(0.1, c) == doctest::Approx(expected[e]));
    }
    using W = Step::with<{.every_epochs = 2, .gamma = 0.1, .warmup_epochs = 1}>;
    c.step = 4;
    CHECK(scheduled_lr<W>(0.1, c) == doctest::Approx(0.1 * 5 / 10));
    c.step = 9;
    CHECK(scheduled_lr<W>(0.1, c) == doctest::Approx(0.1));
    c.step = 25; // epoch 2 (from 0): one decay
    CHECK(scheduled_lr<W>(0.1, c) == doctest::Approx(0.01));
}
