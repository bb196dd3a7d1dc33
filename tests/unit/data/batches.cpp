// data/batches: on-device normalisation, seeded shuffles and batch shapes; data/splits:
// how Split<f> cuts the kept training examples.
#include <array>

#include <doctest/doctest.h>
#include <torch/torch.h>

#include <pipeline/compat.hpp>
#include <pipeline/data/batches.hpp>
#include <pipeline/data/splits.hpp>

using namespace pipeline;

namespace {
labelled_images synthetic(std::int64_t n) {
    auto images = torch::arange(n * 2 * 2 * 2, torch::kInt64)
                      .remainder(256)
                      .to(torch::kUInt8)
                      .reshape({n, 2, 2, 2});
    return {images, torch::arange(n, torch::kInt64)};
}
} // namespace

TEST_CASE("data/batches: normalizer computes (x/255 - mean) / std per channel") {
    auto const cpu = torch::Device(torch::kCPU);
    normalizer norm(std::array<double, 2>{0.5, 0.25}, std::array<double, 2>{0.5, 2.0}, cpu);
    auto x = torch::full({1, 2, 1, 1}, 255, torch::kUInt8);
    auto y = norm(x);
    CHECK(y.dtype() == torch::kFloat32);
    CHECK(y[0][0][0][0].item<float>() == doctest::Approx(1.0));
    CHECK(y[0][1][0][0].item<float>() == doctest::Approx(0.375));
}

TEST_CASE("data/batches: shuffles are seeded, complete and differ between epochs") {
    auto const cpu = torch::Device(torch::kCPU);
    device_batches data(synthetic(10), normalizer(std::array<double, 2>{0, 0},
                                                  std::array<double, 2>{1, 1}, cpu));
    auto g1 = compat::make_generator(cpu, 42);
    auto g2 = compat::make_generator(cpu, 42);
    auto a = data.shuffled_order(g1);
    auto b = data.shuffled_order(g2);
    CHECK(torch::equal(a, b));
    CHECK(torch::equal(std::get<0>(a.sort()), torch::arange(10, torch::kInt64)));
    CHECK_FALSE(torch::equal(a, data.shuffled_order(g1)));
}

TEST_CASE("data/batches: batch shapes, gather by order, drop_last") {
    auto const cpu = torch::Device(torch::kCPU);
    device_batches data(synthetic(10), normalizer(std::array<double, 2>{0, 0},
                                                  std::array<double, 2>{1, 1}, cpu));
    CHECK(data.count(4, true) == 2);
    CHECK(data.count(4, false) == 3);
    auto order = torch::tensor({9, 8, 7, 6, 5, 4, 3, 2, 1, 0}, torch::kInt64);
    auto b = data.get(order, 1, 4);
    CHECK(b.x.sizes() == torch::IntArrayRef{4, 2, 2, 2});
    CHECK(torch::equal(b.y, torch::tensor({5, 4, 3, 2}, torch::kInt64)));
    auto last = data.get(2, 4);
    CHECK(last.x.size(0) == 2);
    CHECK(torch::equal(last.y, torch::tensor({8, 9}, torch::kInt64)));
}

TEST_CASE("data/splits: Split<f> holds out f of the kept examples, rounded to the nearest, "
          "halves up") {
    auto held_out = [](std::int64_t n, double f, std::int64_t keep = 0) {
        split_plan plan;
        plan.validation = f;
        plan.keep = keep;
        plan.seed = 7;
        auto const s = make_splits({synthetic(n), synthetic(10)}, plan);
        CHECK(s.train.size() + s.val.size() == (keep > 0 ? keep : n));
        CHECK_FALSE(s.val_is_test);
        return s.val.size();
    };
    CHECK(held_out(1005, 0.1) == 101);       // 100.5: halves up
    CHECK(held_out(1004, 0.1) == 100);       // 100.4
    CHECK(held_out(1015, 0.1) == 102);       // 101.5
    CHECK(held_out(2000, 0.1, 1005) == 101); // of the kept examples (Subset<1005>)
    CHECK(held_out(10, 0.25) == 3);          // 2.5: halves up
    // The held-out examples are a seeded draw: the same seed, the same examples.
    split_plan plan;
    plan.validation = 0.25;
    plan.seed = 3;
    auto const a = make_splits({synthetic(40), synthetic(10)}, plan);
    auto const b = make_splits({synthetic(40), synthetic(10)}, plan);
    CHECK(torch::equal(a.val.labels, b.val.labels));
    CHECK(torch::equal(std::get<0>(torch::cat({a.train.labels, a.val.labels}).sort()),
                       torch::arange(40, torch::kInt64)));
}
