// train/schedule: the schedules against their closed forms.
#include <cmath>
#include <numbers>

#include <doctest/doctest.h>

#include <pipeline/train/schedule.hpp>

using namespace pipeline;

TEST_CASE("train/schedule: Constant") {
    CHECK(
        scheduled_lr<Constant>(0.1, {.step = 77, .steps_per_epoch = 10, .total_steps = 100})
        == 0.1);
}

TEST_CASE("train/schedule: Cosine without warm-up: start, midpoint, end") {
    using S = Cosine<{.min_lr = 0.001}>;
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
    using S = Cosine<{.warmup_epochs = 2}>;
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
