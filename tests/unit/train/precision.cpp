// train/precision: Precision<BF16> trains as float32 does, within a stated tolerance;
// autocast's weight cache is cleared when the step's scope exits (a test that fails
// without the clearing); FP16's loss scale makes GradScaler's decisions on injected
// inf/NaN gradients, by the fused kernels and op by op alike, and survives a checkpoint;
// FP16 on the CPU is one error before any data is read.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>
#include <torch/torch.h>

#include <pipeline/all.hpp>

#include "../stem_head_net.hpp"
#include "../support.hpp"

namespace precision_test {

//! Two convolutions, each with BatchNorm and ReLU, under a linear head: the layers autocast
//! treats differently (convolutions in bfloat16, BatchNorm's statistics in float32), at a
//! size where bfloat16 costs seconds also on a CPU without AVX-512, which emulates it
//! about 16x slower than float32 (a ResNet-18 step on 28x28 images: 7.5 s against 0.45 s
//! on an AVX2-only EPYC).
struct small_layers {
    static constexpr int features = 32;
    static constexpr std::string_view weights_name = "smallnet";
    static torch::nn::Sequential make(pipeline::model_config const& c) {
        using torch::nn::Conv2dOptions;
        return torch::nn::Sequential(
            torch::nn::Conv2d(
                Conv2dOptions(c.in_channels, 16, 3).stride(2).padding(1).bias(false)),
            torch::nn::BatchNorm2d(16), torch::nn::ReLU(),
            torch::nn::Conv2d(Conv2dOptions(16, 32, 3).stride(2).padding(1).bias(false)),
            torch::nn::BatchNorm2d(32), torch::nn::ReLU());
    }
};
using SmallNet = pipeline::testing::stem_head_backbone<"SmallNet", small_layers>;

} // namespace precision_test

using namespace pipeline;
namespace {

constexpr PrecisionParams bf16_params{precision_kind::bf16};

//! A scaler of FP16 with a short growth interval, on the CPU.
grad_scaler short_interval_scaler(bool fused) {
    PrecisionParams p{precision_kind::fp16, {.init_scale = 1024.0, .growth_interval = 3}};
    return grad_scaler(p, torch::Device(torch::kCPU), fused);
}

float scaler_scale(grad_scaler const& s) {
    return host_value<float>(s.scale_tensor());
}
int scaler_tracker(grad_scaler const& s) {
    return host_value<int>(s.growth_tracker());
}

//! Parameters with gradients `grads` (one parameter each).
std::vector<torch::Tensor> with_gradients(std::vector<torch::Tensor> const& grads) {
    std::vector<torch::Tensor> params;
    for (auto const& g : grads) {
        auto p = torch::zeros_like(g).requires_grad_(true);
        p.mutable_grad() = g.clone();
        params.push_back(p);
    }
    return params;
}

//! GradScaler's decisions, step by step, with `fused` kernels or op by op.
void check_scaler_decisions(bool fused) {
    auto s = short_interval_scaler(fused);
    REQUIRE(s.enabled());
    CHECK(scaler_scale(s) == 1024.0f);
    // The loss is scaled before backward.
    auto const loss = torch::tensor(0.5f);
    CHECK(host_value<float>(s.scale(loss)) == 512.0f);

    // A clean step: the gradients come back divided by the scale, the step is taken.
    auto params = with_gradients({torch::full({3}, 2048.0f), torch::full({2, 2}, -512.0f)});
    s.unscale(params);
    CHECK(torch::allclose(params[0].grad(), torch::full({3}, 2.0f)));
    CHECK(torch::allclose(params[1].grad(), torch::full({2, 2}, -0.5f)));
    CHECK(!s.found_inf());
    s.update();
    CHECK(scaler_scale(s) == 1024.0f);
    CHECK(scaler_tracker(s) == 1);

    // An inf in one gradient: the step is skipped, the scale halves, the count restarts.
    auto inf = torch::ones({3});
    inf[1] = std::numeric_limits<float>::infinity();
    params = with_gradients({inf, torch::ones({2, 2})});
    s.unscale(params);
    CHECK(s.found_inf());
    s.update();
    CHECK(scaler_scale(s) == 512.0f);
    CHECK(scaler_tracker(s) == 0);

    // A NaN likewise.
    auto nan = torch::ones({2, 2});
    nan[0][1] = std::numeric_limits<float>::quiet_NaN();
    params = with_gradients({torch::ones({3}), nan});
    s.unscale(params);
    CHECK(s.found_inf());
    s.update();
    CHECK(scaler_scale(s) == 256.0f);

    // Three clean steps in a row: the scale doubles after the third, the count restarts.
    for (int i = 1; i <= 3; ++i) {
        params = with_gradients({torch::ones({3}), torch::ones({2, 2})});
        s.unscale(params);
        CHECK(!s.found_inf());
        s.update();
        CHECK(scaler_scale(s) == (i < 3 ? 256.0f : 512.0f));
        CHECK(scaler_tracker(s) == (i < 3 ? i : 0));
    }
}

} // namespace

TEST_CASE("train/precision: the autocast scope clears the weight cache when it exits") {
    torch::manual_seed(0);
    torch::nn::Linear layer(8, 4);
    auto const x = torch::randn({2, 8});
    auto const cpu = torch::kCPU;
    auto const& w = layer->weight;
    CHECK(!compat::autocast_enabled(cpu));
    // The bf16 copy autocast makes of the weight: the same tensor while it is cached.
    auto const cast = [&] { return at::autocast::cached_cast(torch::kBFloat16, w, cpu); };
    auto const same = [](torch::Tensor const& a, torch::Tensor const& b) {
        return a.unsafeGetTensorImpl() == b.unsafeGetTensorImpl();
    };

    // The control: autocast entered and left by hand without clearing the cache keeps the
    // copy, and a later step would be handed it (what this test catches).
    compat::set_autocast_enabled(cpu, true);
    compat::set_autocast_dtype(cpu, torch::kBFloat16);
    at::autocast::increment_nesting();
    auto const kept = cast();
    at::autocast::decrement_nesting();
    compat::set_autocast_enabled(cpu, false);
    bool const caches = same(kept, cast());
    at::autocast::clear_cache();
    if (!caches)
        MESSAGE(
            "LibTorch " << compat::torch_version()
                        << " caches no bf16 cast on the CPU: the cache checks below need "
                           "a build that does (2.x)");

    // With the scope: one copy within it, a fresh one in the next.
    torch::Tensor first, second, first_out, second_out;
    {
        autocast_scope scope(torch::Device(cpu), bf16_params);
        CHECK(compat::autocast_enabled(cpu));
        CHECK((compat::autocast_dtype(cpu) == torch::kBFloat16));
        first = cast();
        if (caches)
            CHECK(same(first, cast()));
        first_out = layer(x);
    }
    CHECK(!compat::autocast_enabled(cpu));
    {
        torch::NoGradGuard no_grad;
        layer->weight.add_(1.0); // the optimizer's in-place update
    }
    {
        autocast_scope scope(torch::Device(cpu), bf16_params);
        second = cast();
        second_out = layer(x);
    }
    CHECK(!same(first, second));
    CHECK((first_out.scalar_type() == torch::kBFloat16));
    auto const expected = torch::nn::functional::linear(x.to(torch::kBFloat16),
                                                        layer->weight.to(torch::kBFloat16),
                                                        layer->bias.to(torch::kBFloat16));
    CHECK(torch::allclose(second_out.to(torch::kFloat32), expected.to(torch::kFloat32),
                          1e-2, 1e-2));

    // Nested scopes: the inner one's exit keeps autocast on and the cache full; FP32 opens
    // no scope at all.
    {
        autocast_scope outer(torch::Device(cpu), bf16_params);
        auto const before = cast();
        { autocast_scope inner(torch::Device(cpu), bf16_params); }
        CHECK(compat::autocast_enabled(cpu));
        if (caches)
            CHECK(same(before, cast()));
        autocast_scope none(torch::Device(cpu), PrecisionParams{});
        CHECK(compat::autocast_enabled(cpu));
    }
    CHECK(!compat::autocast_enabled(cpu));
}

TEST_CASE("train/precision: the loss scale's decisions on injected inf and NaN gradients") {
    SUBCASE("op by op") {
        check_scaler_decisions(false);
    }
    if (compat::fused_loss_scaling(torch::Device(torch::kCPU))) {
        SUBCASE("fused kernels") {
            check_scaler_decisions(true);
        }
    } else {
        MESSAGE(
            "LibTorch " << compat::torch_version()
                        << " has no CPU kernel of the fused loss scaling: op by op only");
    }
}

TEST_CASE("train/precision: BF16 and FP32 scalers are no-ops") {
    grad_scaler s(bf16_params, torch::Device(torch::kCPU));
    CHECK(!s.enabled());
    auto const loss = torch::tensor(0.25f);
    CHECK(s.scale(loss).data_ptr() == loss.data_ptr());
    auto params =
        with_gradients({torch::full({2}, std::numeric_limits<float>::infinity())});
    s.unscale(params);
    CHECK(!s.found_inf()); // never skips: a non-finite loss is the loop's own error
    CHECK(s.state().empty());
}

TEST_CASE("train/precision: the loss scale and its count survive a checkpoint") {
    testing::temp_dir const scratch("pipeline-precision");
    auto const& dir = scratch.path;
    torch::nn::Linear model(3, 2);
    torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(0.1));
    auto saved = short_interval_scaler(false);
    auto params =
        with_gradients({torch::full({3}, std::numeric_limits<float>::infinity())});
    saved.unscale(params);
    saved.update(); // 512
    params = with_gradients({torch::ones({3})});
    saved.unscale(params);
    saved.update(); // one clean step
    checkpoint_info info;
    info.experiment = "precision test";
    info.epochs = 1;
    info.epoch = 1;
    info.history.resize(1);
    info.train_examples = 10;
    save_checkpoint(dir / "checkpoint.safetensors", info, *model, opt, nullptr, {},
                    saved.state());

    auto restored = short_interval_scaler(false);
    auto const ck = read_checkpoint(dir / "checkpoint.safetensors");
    restore_checkpoint(ck, *model, opt, nullptr, {}, restored.state());
    CHECK(scaler_scale(restored) == 512.0f);
    CHECK(scaler_tracker(restored) == 1);

    // A checkpoint without it (a BF16 run's) cannot resume an FP16 run.
    save_checkpoint(dir / "without.safetensors", info, *model, opt, nullptr, {});
    auto const other = read_checkpoint(dir / "without.safetensors");
    auto fresh = short_interval_scaler(false);
    CHECK_THROWS_WITH_AS(restore_checkpoint(other, *model, opt, nullptr, {}, fresh.state()),
                         doctest::Contains("the loop state 'grad_scaler.scale'"), error);
}

TEST_CASE("train/precision: FP16 on the CPU is one error before any data is read") {
    // clang-format off
    constexpr auto fp16 = Load<FashionMNIST, Subset<512>>
                        | Model<ResNet18>
                        | Loss<CrossEntropy>
                        | Train<{.epochs = 1, .batch_size = 64}>
                        | Precision<FP16>;
    // clang-format on
    auto o = testing::quiet_run_options(0, 1000);
    o.data_dir = "/nonexistent/data"; // reading data first would fail differently
    CHECK_THROWS_WITH_AS(
        fit(fp16, o), doctest::Contains("Precision<FP16>: expected a CUDA device"), error);
}

TEST_CASE("train/precision: a BF16 run trains like FP32 over 192 steps, reading the host "
          "no more") {
    // clang-format off
    constexpr auto fp32 = Load<FashionMNIST, Subset<3072>>
                        | Model<precision_test::SmallNet>
                        | Loss<CrossEntropy>
                        | Optimizer<SGD, {.lr = 0.1}>
                        | Schedule<Cosine>
                        | Train<{.epochs = 3, .batch_size = 48, .eval_batch_size = 256}>;
    constexpr auto bf16 = Load<FashionMNIST, Subset<3072>>
                        | Model<precision_test::SmallNet>
                        | Loss<CrossEntropy>
                        | Optimizer<SGD, {.lr = 0.1}>
                        | Schedule<Cosine>
                        | Train<{.epochs = 3, .batch_size = 48, .eval_batch_size = 256}>
                        | Precision<BF16>;
    // clang-format on
    static_assert(one_change<decltype(fp32), decltype(bf16)>);
    auto const t0 = std::chrono::steady_clock::now();
    auto const reads0 = host_reads();
    auto const a = fit(fp32, testing::quiet_run_options(3, 1000));
    auto const reads1 = host_reads();
    auto const t1 = std::chrono::steady_clock::now();
    auto const b = fit(bf16, testing::quiet_run_options(3, 1000));
    auto const reads2 = host_reads();
    auto const t2 = std::chrono::steady_clock::now();
    REQUIRE(b.history.size() == 3);
    MESSAGE("seconds: fp32 " << std::chrono::duration<double>(t1 - t0).count() << ", bf16 "
                             << std::chrono::duration<double>(t2 - t1).count());
    auto const& first = b.history.front().metrics;
    auto const& last = b.history.back().metrics;
    MESSAGE("train loss fp32 " << a.history.front().metrics.train_loss << " -> "
                               << a.history.back().metrics.train_loss << ", bf16 "
                               << first.train_loss << " -> " << last.train_loss
                               << "; test accuracy fp32 " << a.test_acc << ", bf16 "
                               << b.test_acc);
    CHECK(std::isfinite(last.train_loss));
    CHECK(last.train_loss < 0.7 * first.train_loss);
    // bf16's rounding parts the two runs after a few steps, as two seeds part: the
    // stated tolerance is 5 points, on 1000 test images (one standard error of an
    // accuracy near 0.7 is 1.4 points).
    CHECK(std::abs(b.test_acc - a.test_acc) <= 0.05);
    CHECK(b.test_acc > 0.6);
    // Autocast adds no host read: the same reads as float32.
    CHECK(reads2 - reads1 == reads1 - reads0);
    CHECK(b.experiment.find("Precision<BF16>") != std::string::npos);
}

TEST_CASE("train/precision: a BF16 ResNet-18 takes its steps under autocast, reading the "
          "host no more") {
    // Two steps and 32 test images: what ResNet-18 adds to the small net above (residual
    // sums of bfloat16 convolutions, max-pooling, its BatchNorms) at a cost a CPU without
    // AVX-512 can pay (about 7.5 s a step there).
    // clang-format off
    constexpr auto fp32 = Load<FashionMNIST, Subset<32>>
                        | Model<ResNet18>
                        | Loss<CrossEntropy>
                        | Optimizer<SGD, {.lr = 0.01}>
                        | Train<{.epochs = 1, .batch_size = 16, .eval_batch_size = 32}>;
    constexpr auto bf16 = Load<FashionMNIST, Subset<32>>
                        | Model<ResNet18>
                        | Loss<CrossEntropy>
                        | Optimizer<SGD, {.lr = 0.01}>
                        | Train<{.epochs = 1, .batch_size = 16, .eval_batch_size = 32}>
                        | Precision<BF16>;
    // clang-format on
    auto const reads0 = host_reads();
    auto const a = fit(fp32, testing::quiet_run_options(5, 32));
    auto const reads1 = host_reads();
    auto const b = fit(bf16, testing::quiet_run_options(5, 32));
    auto const reads2 = host_reads();
    REQUIRE(b.history.size() == 1);
    MESSAGE("train loss fp32 " << a.history.front().metrics.train_loss << ", bf16 "
                               << b.history.front().metrics.train_loss);
    CHECK(std::isfinite(b.history.front().metrics.train_loss));
    CHECK(std::isfinite(b.test_loss));
    // The same two batches: the first losses differ by bfloat16's rounding alone.
    CHECK(std::abs(b.history.front().metrics.train_loss
                   - a.history.front().metrics.train_loss)
          < 0.1 * a.history.front().metrics.train_loss);
    CHECK(reads2 - reads1 == reads1 - reads0);
}
