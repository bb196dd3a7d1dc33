// train/host_reads: the loop reads device values on the host a fixed number of times per
// epoch and per evaluation, never per step (pipeline/host_read.hpp counts every read): a
// run of twice the steps makes exactly the same reads. A read added inside the training
// step (a loss printed, a non-finite check, an accuracy) makes the longer run read more,
// and this test fails.
#include <cstdint>

#include <doctest/doctest.h>
#include <torch/torch.h>

#include <pipeline/all.hpp>

using namespace pipeline;

namespace {

// Everything a step may do: augmentations on the device, MixUp's soft targets, clipping
// (its norm stays on the device), momentum, a cosine schedule, a weight average, flip TTA.
// clang-format off
constexpr auto busy_step = Load<FashionMNIST, Subset<512>>
                         | Augment<RandomCrop<28, 2>>
                         | Augment<HorizontalFlip>
                         | Augment<MixUp>
                         | Model<ResNet18, Ema<0.9>>
                         | Loss<SoftTargetCE>
                         | Optimizer<SGD, {.lr = 0.05}>
                         | Schedule<Cosine>
                         | Train<{.epochs = 2, .batch_size = 16, .eval_batch_size = 64, .clip_grad_norm = 1.0}>
                         | Evaluate<TTA<HorizontalFlip>>;
// clang-format on

//! The host reads of one run on `images` training images (batches of 16).
std::int64_t reads_of_run(std::int64_t images) {
    run_options o;
    o.device = "cpu";
    o.seed = 4;
    o.out_dir.clear();
    o.limit = images;
    o.eval_limit = 64;
    o.threads = 2;
    o.log = nullptr;
    auto const before = host_reads();
    auto const r = fit(busy_step, o);
    auto const reads = host_reads() - before;
    REQUIRE(r.history.size() == 2);
    return reads;
}

} // namespace

TEST_CASE("train/host_reads: 20 steps read the host as often as 10: never inside a step") {
    auto const ten = reads_of_run(160);    // 10 steps an epoch
    auto const twenty = reads_of_run(320); // 20 steps an epoch
    MESSAGE("host reads: " << ten << " for 2 x 10 steps, " << twenty
                           << " for 2 x 20 steps");
    CHECK(twenty == ten);
    // Per epoch: the training sums (one read), validation of the model, of the average and
    // over the TTA views (one read each); then the test pass and the per-class report's
    // predictions. 2 x 4 + at most 8: a bound that a read per step (20 or 40) breaks.
    CHECK(ten > 0);
    CHECK(ten <= 16);
}

TEST_CASE("train/host_reads: to_host and host_value count one read each") {
    auto const before = host_reads();
    auto const t = torch::arange(6, torch::kFloat32);
    auto const h = to_host(t, torch::kFloat64);
    CHECK((h.scalar_type() == torch::kFloat64));
    CHECK(h.is_contiguous());
    CHECK(host_value<double>(t.sum()) == doctest::Approx(15.0));
    CHECK(host_reads() - before == 2);
}
