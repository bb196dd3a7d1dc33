// train/cuda_graph: Execute<CudaGraph>. On the CPU (every machine): the run takes every
// step eagerly, exactly as the run without the option, and says so; asking the step graph
// itself to capture off CUDA is an error. On a CUDA device with a build that captures
// (reported as SKIPPED elsewhere): 50 steps replayed from a graph against 50 eager steps
// of the same run (MixUp's draws, clipping and a weight average outside or inside the
// graph as documented): the loss curves within 1e-3 relative, every weight within 1e-3.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>

#include <doctest/doctest.h>
#include <torch/torch.h>

#include <pipeline/all.hpp>

#include "../support.hpp"

using namespace pipeline;

namespace {

// clang-format off
constexpr auto graph_eager = Load<FashionMNIST, Subset<64>>
                           | Augment<HorizontalFlip>
                           | Augment<MixUp>
                           | Model<ResNet18, Ema<0.9>>
                           | Loss<SoftTargetCE>
                           | Optimizer<SGD, {.lr = 0.02}>
                           | Schedule<Cosine>
                           | Train<{.epochs = 25, .batch_size = 32, .eval_batch_size = 64, .clip_grad_norm = 1.0}>
                           | Execute<Deterministic>;
constexpr auto graph_captured = Load<FashionMNIST, Subset<64>>
                              | Augment<HorizontalFlip>
                              | Augment<MixUp>
                              | Model<ResNet18, Ema<0.9>>
                              | Loss<SoftTargetCE>
                              | Optimizer<SGD, {.lr = 0.02}>
                              | Schedule<Cosine>
                              | Train<{.epochs = 25, .batch_size = 32, .eval_batch_size = 64, .clip_grad_norm = 1.0}>
                              | Execute<Deterministic, CudaGraph>;
// clang-format on
static_assert(one_change<decltype(graph_eager), decltype(graph_captured)>);

double largest_state_difference(run_result const& a, run_result const& b) {
    double worst = 0.0;
    for (auto const& [name, t] : a.state) {
        auto const& u = b.state.at(name);
        if (!t.is_floating_point())
            continue;
        worst = std::max(worst,
                         host_value<double>(
                             (t.to(torch::kFloat64) - u.to(torch::kFloat64)).abs().max()));
    }
    return worst;
}

} // namespace

TEST_CASE("train/cuda_graph: on the CPU Execute<CudaGraph> takes every step eagerly, as "
          "the run without it") {
    // clang-format off
    constexpr auto plain = Load<FashionMNIST, Subset<64>>
                         | Model<ResNet18>
                         | Loss<CrossEntropy>
                         | Optimizer<SGD, {.lr = 0.01}>
                         | Train<{.epochs = 1, .batch_size = 32, .eval_batch_size = 256}>;
    constexpr auto graphed = Load<FashionMNIST, Subset<64>>
                           | Model<ResNet18>
                           | Loss<CrossEntropy>
                           | Optimizer<SGD, {.lr = 0.01}>
                           | Train<{.epochs = 1, .batch_size = 32, .eval_batch_size = 256}>
                           | Execute<CudaGraph>;
    // clang-format on
    auto const a = fit(plain, testing::quiet_run_options(6));
    std::ostringstream log;
    auto o = testing::quiet_run_options(6);
    o.log = &log;
    auto const b = fit(graphed, o);
    CHECK(b.history.back().metrics.train_loss == a.history.back().metrics.train_loss);
    CHECK(b.history.back().metrics.val_loss == a.history.back().metrics.val_loss);
    CHECK(log.str().find("CudaGraph: the device is cpu, the step runs eagerly")
          != std::string::npos);

    // The step graph itself: eager when not capturing, and capture only on CUDA.
    step_graph eager(false, torch::kCPU, 3);
    CHECK(!eager.capturing());
    int zeroed = 0, stepped = 0;
    training_batch const batch{torch::zeros({2, 1, 4, 4}), torch::zeros({2}),
                               torch::zeros({2})};
    auto const out = eager.run(
        batch, {}, [&] { ++zeroed; },
        [&](training_batch const&) {
            ++stepped;
            return std::vector<step_output>{{torch::ones({}), torch::zeros({2, 3})}};
        });
    CHECK(zeroed == 1);
    CHECK(stepped == 1);
    CHECK(out.size() == 1);
    CHECK(!eager.expect({true, false}));
    CHECK(!eager.expect({true, true}));
    CHECK_THROWS_WITH(step_graph(true, torch::kCPU, 3),
                      doctest::Contains("Execute<CudaGraph>: expected a CUDA device to "
                                        "capture on, found device cpu"));
}

TEST_CASE("train/cuda_graph: 50 replayed steps train as 50 eager ones (CUDA)") {
    if (!torch::cuda::is_available()) {
        MESSAGE("SKIPPED: no CUDA device here; this test compares a captured step with "
                "the eager one on a GPU (scripts/device-check.sh runs it there)");
        return;
    }
    if (!cuda_graphs_built) {
        MESSAGE("SKIPPED: this build has no CUDA-graph capture (PIPELINE_CUDA_GRAPHS)");
        return;
    }
    auto o = testing::quiet_run_options(8);
    o.device = "cuda";
    auto const a = fit(graph_eager, o);
    std::ostringstream log;
    o.log = &log;
    auto const b = fit(graph_captured, o);
    CHECK(log.str().find("the step captured in a CUDA graph after 3 eager steps")
          != std::string::npos);
    REQUIRE(a.history.size() == 25); // 2 steps an epoch: 50 steps
    REQUIRE(b.history.size() == 25);
    double worst_loss = 0.0;
    for (std::size_t i = 0; i < a.history.size(); ++i) {
        auto const x = a.history[i].metrics.train_loss;
        auto const y = b.history[i].metrics.train_loss;
        worst_loss = std::max(worst_loss, std::abs(x - y) / std::abs(x));
    }
    auto const worst_weight = largest_state_difference(a, b);
    MESSAGE("captured vs eager over 50 steps: loss curve "
            << worst_loss << " relative, weights " << worst_weight);
    CHECK(worst_loss <= 1e-3);
    CHECK(worst_weight <= 1e-3);
    CHECK(b.history.back().metrics.val_acc
          == doctest::Approx(a.history.back().metrics.val_acc).epsilon(0.05));
}
