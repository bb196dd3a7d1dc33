// train/ema: the weight average follows ema = decay * ema + (1 - decay) * model for
// parameters and BatchNorm statistics, and a run with Ema<decay> reports it as its own
// model.
#include <cmath>

#include <doctest/doctest.h>
#include <torch/torch.h>

#include <pipeline/all.hpp>

using namespace pipeline;

TEST_CASE("train/ema: one update is decay * average + (1 - decay) * model") {
    torch::manual_seed(0);
    auto model = make_backbone<ResNet18>({1, 10});
    auto average = make_backbone<ResNet18>({1, 10});
    weight_average ema(*model, *average, 0.9);
    // Starts as a copy of the model.
    CHECK(torch::equal(model->conv1->weight, average->conv1->weight));
    CHECK(!average->conv1->weight.requires_grad());
    auto const before = average->fc->weight.detach().clone();
    auto const mean_before = average->bn1->running_mean.detach().clone();
    {
        torch::NoGradGuard no_grad;
        model->fc->weight.add_(1.0);
        model->bn1->running_mean.add_(2.0);
        model->bn1->num_batches_tracked.add_(5);
    }
    ema.update(1'000'000); // long past the warm-up: the decay asked for
    CHECK(torch::allclose(average->fc->weight, 0.9 * before + 0.1 * (before + 1.0), 1e-6,
                          1e-6));
    CHECK(torch::allclose(average->bn1->running_mean,
                          0.9 * mean_before + 0.1 * (mean_before + 2.0), 1e-6, 1e-6));
    CHECK(average->bn1->num_batches_tracked.item<std::int64_t>() == 5);
    // Untouched tensors stay equal to the model's.
    CHECK(torch::allclose(average->conv1->weight, model->conv1->weight));
}

TEST_CASE("train/ema: the decay warms up as timm's ModelEmaV3 does") {
    torch::manual_seed(0);
    auto model = make_backbone<ResNet18>({1, 10});
    auto average = make_backbone<ResNet18>({1, 10});
    weight_average ema(*model, *average, 0.999);
    // timm: 1 - (1 + step / warmup_gamma) ** -warmup_power, gamma 1, power 2/3.
    CHECK(ema.decay_at(0) == 0.0); // the first update copies the model
    CHECK(ema.decay_at(7) == doctest::Approx(1.0 - std::pow(8.0, -2.0 / 3.0)));
    CHECK(ema.decay_at(7) == doctest::Approx(0.75));
    CHECK(ema.decay_at(840) == doctest::Approx(1.0 - std::pow(841.0, -2.0 / 3.0)));
    CHECK(ema.decay_at(840) < 0.99); // a 4-epoch run averages over ~100 steps, not 1000
    CHECK(ema.decay_at(40'000) == 0.999);
    CHECK(ema.warmup_steps() == 31'622);
    CHECK(ema.decay_at(ema.warmup_steps()) == 0.999);
    CHECK(ema.decay_at(ema.warmup_steps() - 1) < 0.999);
}

TEST_CASE("train/ema: a run with Ema<decay> evaluates the average as its own model") {
    // clang-format off
    constexpr auto averaged = Load<FashionMNIST, Subset<256>>
                            | Model<ResNet18, Ema<0.9>>
                            | Loss<CrossEntropy>
                            | Optimizer<SGD, {.lr = 0.05}>
                            | Schedule<Constant>
                            | Train<{.epochs = 2, .batch_size = 64, .eval_batch_size = 256}>;
    // clang-format on
    run_options o;
    o.device = "cpu";
    o.seed = 2;
    o.out_dir.clear();
    o.eval_limit = 128;
    o.threads = 2;
    o.log = nullptr;
    auto r = fit(averaged, o);
    REQUIRE(r.history.size() == 2);
    for (auto const& e : r.history) {
        REQUIRE(e.ema_val.size() == 2);
        CHECK(std::isfinite(e.ema_val[0]));
        CHECK(e.ema_val[1] >= 0.0);
        CHECK(e.ema_val[1] <= 1.0);
    }
    CHECK(std::isfinite(r.ema_test_loss));
    // The average lags the model: its numbers are not the model's.
    CHECK(r.history[1].ema_val[0] != r.history[1].metrics.val_loss);
    CHECK(r.ema_test_loss != r.test_loss);
}

TEST_CASE("train/ema: adding Ema changes nothing else the run draws or trains") {
    // clang-format off
    constexpr auto plain = Load<FashionMNIST, Subset<128>>
                         | Model<ResNet18>
                         | Loss<CrossEntropy>
                         | Schedule<Constant>
                         | Train<{.epochs = 1, .batch_size = 64}>;
    constexpr auto averaged = Load<FashionMNIST, Subset<128>>
                            | Model<ResNet18, Ema<0.5>>
                            | Loss<CrossEntropy>
                            | Schedule<Constant>
                            | Train<{.epochs = 1, .batch_size = 64}>;
    // clang-format on
    run_options o;
    o.device = "cpu";
    o.seed = 6;
    o.out_dir.clear();
    o.eval_limit = 64;
    o.threads = 2;
    o.log = nullptr;
    auto a = fit(plain, o);
    auto const after_plain = torch::rand({4});
    auto b = fit(averaged, o);
    auto const after_averaged = torch::rand({4});
    CHECK(a.history[0].metrics.train_loss == b.history[0].metrics.train_loss);
    CHECK(a.history[0].ema_val.empty());
    for (auto const& [name, t] : a.state)
        CHECK_MESSAGE(torch::equal(t, b.state.at(name)), name);
    // The process-wide random stream ends where it would without the average.
    CHECK(torch::equal(after_plain, after_averaged));
}
