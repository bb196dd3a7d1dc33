// train/fit: a tiny pipeline trains end to end; same seed, same numbers; bad runs fail
// with one clear error.
#include <cmath>
#include <filesystem>
#include <string>

#include <doctest/doctest.h>
#include <torch/torch.h>

#include <pipeline/pipeline.hpp>

using namespace pipeline;
namespace fs = std::filesystem;

namespace {
constexpr auto tiny =
    Load<
        FashionMNIST,
        Subset<
            512>> | Model<ResNet18> | Loss<CrossEntropy> | Optimizer<SGD<{.lr = 0.05}>> | Schedule<Constant> | Train<{.epochs = 4, .batch_size = 64, .eval_batch_size = 256}>;

run_options quiet_options(std::uint64_t seed) {
    run_options o;
    o.device = "cpu";
    o.seed = seed;
    o.out_dir.clear();
    o.eval_limit = 256;
    o.threads = 2;
    o.log = nullptr;
    return o;
}
} // namespace

TEST_CASE("train/fit: a tiny pipeline learns: the loss falls and every metric is finite") {
    auto r = fit(tiny, quiet_options(1));
    REQUIRE(r.epochs.size() == 4);
    for (auto const& m : r.epochs) {
        CHECK(std::isfinite(m.train_loss));
        CHECK(std::isfinite(m.val_loss));
        CHECK(m.train_acc >= 0.0);
        CHECK(m.train_acc <= 1.0);
        CHECK(m.lr == doctest::Approx(0.05));
    }
    CHECK(r.epochs.back().train_loss < 0.8 * r.epochs.front().train_loss);
    CHECK(r.epochs.back().train_acc > r.epochs.front().train_acc);
    CHECK(r.test_acc > 0.3); // well above chance (0.1) after 32 steps
    CHECK(r.test_examples == 256);
    CHECK(r.experiment == describe(tiny));
}

TEST_CASE("train/fit: same seed, same numbers; another seed, other numbers") {
    auto a = fit(tiny, quiet_options(7));
    auto b = fit(tiny, quiet_options(7));
    auto c = fit(tiny, quiet_options(8));
    REQUIRE(a.epochs.size() == b.epochs.size());
    for (std::size_t i = 0; i < a.epochs.size(); ++i) {
        CHECK(a.epochs[i].train_loss == b.epochs[i].train_loss);
        CHECK(a.epochs[i].train_acc == b.epochs[i].train_acc);
        CHECK(a.epochs[i].val_loss == b.epochs[i].val_loss);
    }
    CHECK(a.test_loss == b.test_loss);
    CHECK(a.epochs[0].train_loss != c.epochs[0].train_loss);
}

TEST_CASE("train/fit: results land in a new run directory") {
    auto root = fs::temp_directory_path() / ("pipeline-fit-" + std::to_string(::getpid()));
    fs::remove_all(root);
    auto o = quiet_options(3);
    o.out_dir = root;
    o.epochs = 1;
    auto r = fit(tiny, o);
    CHECK(r.run_dir.parent_path() == root);
    CHECK(fs::exists(r.run_dir / "experiment.txt"));
    CHECK(fs::exists(r.run_dir / "metrics.csv"));
    CHECK(fs::exists(r.run_dir / "summary.json"));
    fs::remove_all(root);
}

TEST_CASE("train/fit: a diverging run stops with one error and keeps its earlier epochs") {
    constexpr auto diverging =
        Load<
            FashionMNIST,
            Subset<
                256>> | Model<ResNet18> | Loss<CrossEntropy> | Optimizer<SGD<{.lr = 1e12, .nesterov = false}>> | Schedule<Constant> | Train<{.epochs = 2, .batch_size = 64}>;
    auto root = fs::temp_directory_path() / ("pipeline-nan-" + std::to_string(::getpid()));
    fs::remove_all(root);
    auto o = quiet_options(0);
    o.out_dir = root;
    try {
        fit(diverging, o);
        FAIL("a learning rate of 1e12 should not train");
    } catch (pipeline::error const& e) {
        std::string msg = e.what();
        CHECK(msg.find("expected a finite training loss") != std::string::npos);
        CHECK(msg.find("epoch 1") != std::string::npos);
    }
    // The run directory and its experiment line survive the failure.
    REQUIRE(fs::exists(root));
    auto dir = fs::directory_iterator(root)->path();
    CHECK(fs::exists(dir / "experiment.txt"));
    fs::remove_all(root);
}

TEST_CASE("train/fit: bad options are errors that name the option") {
    auto o = quiet_options(0);
    o.device = "tpu";
    CHECK_THROWS_WITH_AS(fit(tiny, o), doctest::Contains("--device"), pipeline::error);
    if (!torch::cuda::is_available()) {
        o.device = "cuda";
        CHECK_THROWS_WITH_AS(fit(tiny, o), doctest::Contains("use --device cpu"),
                             pipeline::error);
    }
    o = quiet_options(0);
    o.data_dir = fs::temp_directory_path() / "pipeline-missing-data";
    CHECK_THROWS_WITH_AS(fit(tiny, o), doctest::Contains("dataset-fashion-mnist"),
                         pipeline::error);
    o = quiet_options(0);
    o.limit = 10; // fewer than one batch of 64
    CHECK_THROWS_WITH_AS(fit(tiny, o), doctest::Contains("at least one batch of 64"),
                         pipeline::error);
}
