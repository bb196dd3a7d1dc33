// train/accumulate: Train<{.accumulate = k}> runs each batch as k micro-batches and steps
// once, the same update as the whole batch (a model without BatchNorm, so that only
// floating-point summation order differs), with MixUp, a cosine schedule, momentum and
// gradient clipping; the same within emulated data-parallel ranks; micro-batches too
// small for BatchNorm refused before any data is read.
#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

#include <doctest/doctest.h>
#include <torch/torch.h>

#include <pipeline/all.hpp>
#include <pipeline/extend.hpp>

#include "../stem_head_net.hpp"
#include "../support.hpp"

namespace accumulate_test {

//! A conv stem and a linear head, no BatchNorm: its gradient is a plain mean over the
//! batch, whatever the batch is split into.
struct plain_layers {
    static constexpr int features = 8;
    static constexpr std::string_view weights_name = "plainnet";
    static torch::nn::Sequential make(pipeline::model_config const& c) {
        return torch::nn::Sequential(
            torch::nn::Conv2d(
                torch::nn::Conv2dOptions(c.in_channels, 8, 3).stride(2).padding(1)),
            torch::nn::ReLU());
    }
};
using PlainNet = pipeline::testing::stem_head_backbone<"PlainNet", plain_layers>;

} // namespace accumulate_test

using namespace pipeline;

namespace {

// clang-format off
template <int Batch, int Accumulate>
constexpr auto plain = Load<FashionMNIST, Subset<512>>
                     | Augment<RandomCrop<28, 2>>
                     | Augment<MixUp>
                     | Model<accumulate_test::PlainNet>
                     | Loss<SoftTargetCE>
                     | Optimizer<SGD, {.lr = 0.2, .nesterov = true}>
                     | Schedule<Cosine>
                     | Train<{.epochs = 2, .batch_size = Batch, .clip_grad_norm = 1.0, .accumulate = Accumulate}>;
// clang-format on

run_options quiet(int emulate_ranks = 1) {
    run_options o;
    o.device = "cpu";
    o.seed = 11;
    o.out_dir.clear();
    o.eval_limit = 128;
    o.threads = 2;
    o.log = nullptr;
    o.emulate_ranks = emulate_ranks;
    return o;
}

//! The largest absolute difference between two runs' final parameters.
double weight_difference(run_result const& a, run_result const& b) {
    REQUIRE(a.state.size() == b.state.size());
    double worst = 0.0;
    for (auto const& [name, t] : a.state) {
        REQUIRE(b.state.count(name) == 1);
        worst = std::max(worst, (t - b.state.at(name)).abs().max().item<double>());
    }
    return worst;
}

} // namespace

TEST_CASE("train/accumulate: four micro-batches make the whole batch's update") {
    auto const whole = fit(plain<64, 1>, quiet());
    auto const micro = fit(plain<64, 4>, quiet());
    auto const diff = weight_difference(whole, micro);
    MESSAGE("largest weight difference after 16 steps: " << diff);
    CHECK(diff <= 1e-6);
    REQUIRE(whole.history.size() == micro.history.size());
    for (std::size_t e = 0; e < whole.history.size(); ++e) {
        CHECK(micro.history[e].metrics.train_loss
              == doctest::Approx(whole.history[e].metrics.train_loss).epsilon(1e-6));
        CHECK(micro.history[e].metrics.lr == whole.history[e].metrics.lr);
    }
    // The test can fail: an update per micro-batch (no accumulation) is a different run.
    // An update per micro-batch: what accumulation is not.
    auto const per_micro_batch = fit(plain<16, 1>, quiet());
    CHECK(weight_difference(whole, per_micro_batch) > 1e-3);
}

TEST_CASE("train/accumulate: with emulated data-parallel ranks, the same update") {
    // Each rank augments and mixes its own shard, then splits it: the same draws as
    // without accumulation over the same ranks.
    auto const whole = fit(plain<64, 1>, quiet(2));
    auto const sharded = fit(plain<64, 2>, quiet(2));
    auto const diff = weight_difference(whole, sharded);
    MESSAGE("2 ranks x 2 micro-batches, largest weight difference: " << diff);
    CHECK(diff <= 1e-6);
}

TEST_CASE("train/accumulate: micro-batches too small for BatchNorm are refused up front") {
    auto o = quiet(2);
    o.data_dir = std::filesystem::temp_directory_path() / "pipeline-missing-data";
    CHECK(testing::message_of([&] { (void)fit(plain<64, 32>, o); })
          == "Train<{.batch_size = 64, .accumulate = 32}> over 2 ranks: expected 32 equal "
             "micro-batches of at least 2 examples in each batch of 32 (BatchNorm needs "
             "more than one value per channel), found micro-batches of 1; accumulate at "
             "most 16");
}
