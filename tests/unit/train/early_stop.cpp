// train/early_stop: Train<{.patience, .min_delta}> counts as Lightning's EarlyStopping
// (constructed histories with known answers), stops a real run where the count says (a
// head-only model at a rate too small to move it: validation accuracy stays flat), ends
// that run as a finished one (test pass, summary.json saying why), and shows what a
// cosine schedule has left when the run stops; Train<{.keep_best = k}> keeps exactly the
// k best epochs' models.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <pipeline/all.hpp>

#include "../support.hpp"

using namespace pipeline;
namespace fs = std::filesystem;

namespace {
// clang-format off
template <int Patience, double MinDelta>
constexpr auto plateau = Load<FashionMNIST, Subset<256>>
                       | Model<ResNet18, Frozen<Stem, Layer1, Layer2, Layer3, Layer4>, FreezeRandomInit>
                       | Loss<CrossEntropy>
                       | Optimizer<SGD, {.lr = 1e-6}>
                       | Schedule<Cosine>
                       | Train<{.epochs = 6, .batch_size = 64, .patience = Patience, .min_delta = MinDelta}>;

constexpr auto keeping = Load<FashionMNIST, Subset<512>>
                       | Model<ResNet18>
                       | Loss<CrossEntropy>
                       | Optimizer<SGD, {.lr = 0.05}>
                       | Schedule<Constant>
                       | Train<{.epochs = 4, .batch_size = 64, .eval_batch_size = 256, .keep_best = 2}>;
// clang-format on

run_options early_stop_options() {
    run_options o;
    o.device = "cpu";
    o.seed = 3;
    o.out_dir.clear();
    o.eval_limit = 128;
    o.threads = 2;
    o.log = nullptr;
    return o;
}

std::vector<epoch_record> history_of(std::vector<double> const& val_accs) {
    std::vector<epoch_record> h;
    for (std::size_t i = 0; i < val_accs.size(); ++i) {
        epoch_record r;
        r.metrics.epoch = static_cast<int>(i) + 1;
        r.metrics.val_acc = val_accs[i];
        h.push_back(r);
    }
    return h;
}

nlohmann::json read_json(fs::path const& path) {
    std::ifstream in(path);
    return nlohmann::json::parse(in);
}
} // namespace

TEST_CASE("train/early_stop: the wait counts epochs without an improvement of more than "
          "min_delta") {
    auto const h = history_of({0.50, 0.60, 0.60, 0.605, 0.59});
    // min_delta 0.01: 0.605 is no improvement on 0.60; three epochs waited.
    CHECK(early_stop_reason(h, 3, 0.01)
          == "validation accuracy has not improved by more than 0.01 for 3 epochs "
             "(Train<{.patience = 3}>); best 60.00% at epoch 2");
    CHECK_FALSE(early_stop_reason(h, 4, 0.01));
    // min_delta 0: 0.605 improves, one epoch waited since.
    CHECK_FALSE(early_stop_reason(h, 2, 0.0));
    CHECK(early_stop_reason(h, 1, 0.0).value_or("").find("for 1 epoch (")
          != std::string::npos);
    // A tie is no improvement; patience 0 never stops.
    CHECK(early_stop_reason(history_of({0.5, 0.5}), 1, 0.0).has_value());
    CHECK_FALSE(early_stop_reason(history_of({0.5, 0.1, 0.1, 0.1}), 0, 0.0));
}

TEST_CASE("train/early_stop: the k best epochs, best first, the earlier of equals first") {
    auto const h = history_of({0.5, 0.7, 0.6, 0.7});
    CHECK(best_epochs(h, 1) == std::vector<int>{2});
    CHECK(best_epochs(h, 2) == std::vector<int>{2, 4});
    CHECK(best_epochs(h, 3) == std::vector<int>{2, 4, 3});
    CHECK(best_epochs(h, 9) == std::vector<int>{2, 4, 3, 1});
}

TEST_CASE(
    "train/early_stop: a flat run stops after patience epochs, tested and summarised, "
    "its cosine rate not annealed") {
    testing::temp_dir dir("pipeline-early-stop");
    auto o = early_stop_options();
    o.out_dir = dir.path;
    auto const r = fit(plateau<2, 0.05>, o);
    // Epoch 1 is the best; epochs 2 and 3 do not beat it by 5 points: stop after 3 of 6.
    REQUIRE(r.history.size() == 3);
    CHECK(r.early_stop.find("for 2 epochs") != std::string::npos);
    CHECK(r.test_examples == 128); // the run ends as a finished one: the test pass ran
    // The cosine schedule spans the 6 planned epochs: at the last step of epoch 3 (step 12
    // of 24) the rate is still about half the base, where a 3-epoch cosine ends near 0.
    CHECK(r.history.back().metrics.lr > 0.4e-6);
    CHECK(r.history.back().metrics.lr < 0.7e-6);
    auto const summary = read_json(r.run_dir / "summary.json");
    CHECK(summary["epochs"] == 6);
    CHECK(summary["epochs_trained"] == 3);
    CHECK(summary["early_stop"]["after_epoch"] == 3);
    CHECK(summary["early_stop"]["patience"] == 2);
    CHECK(fs::exists(r.run_dir / "model.safetensors"));
    CHECK(read_safetensors(r.run_dir / "model.safetensors").metadata.at("epoch") == "3");
    CHECK_FALSE(fs::exists(r.run_dir / "checkpoint.safetensors"));
    // The same run without early stopping trains all 6 epochs.
    CHECK(fit(plateau<0, 0.0>, early_stop_options()).history.size() == 6);
}

TEST_CASE("train/early_stop: keep_best = 2 keeps the two best epochs' models, no more") {
    testing::temp_dir dir("pipeline-keep-best");
    auto o = early_stop_options();
    o.out_dir = dir.path;
    auto const r = fit(keeping, o);
    REQUIRE(r.history.size() == 4);
    auto const best = best_epochs(r.history, 2);
    std::vector<int> found;
    for (auto const& entry : fs::directory_iterator(r.run_dir)) {
        auto const name = entry.path().filename().string();
        if (name.rfind("best-epoch-", 0) != 0)
            continue;
        auto const file = read_safetensors(entry.path());
        found.push_back(std::stoi(file.metadata.at("epoch")));
        CHECK(name == "best-epoch-" + file.metadata.at("epoch") + ".safetensors");
        CHECK(std::stod(file.metadata.at("val_acc"))
              == doctest::Approx(r.history[found.back() - 1].metrics.val_acc));
    }
    std::sort(found.begin(), found.end());
    auto expected = best;
    std::sort(expected.begin(), expected.end());
    CHECK(found == expected);
    auto const summary = read_json(r.run_dir / "summary.json");
    REQUIRE(summary["kept_models"].size() == 2);
    CHECK(summary["kept_models"][0]["epoch"] == best[0]);
    CHECK(best[0] == r.best_epoch);
}
