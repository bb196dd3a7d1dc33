// train/workflow: what a run leaves to judge it by (clean metrics and gap, metrics.jsonl,
// curves.svg, best.safetensors, a directory named by the experiment, no weights with
// --no-weights), progress lines, and the numbers over seeds (spread, paired comparison).
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>
#include <unistd.h>

#include <pipeline/all.hpp>

#include "../support.hpp"

using namespace pipeline;
using pipeline::testing::slurp;
namespace fs = std::filesystem;

namespace {
// clang-format off
constexpr auto tiny_split = Load<FashionMNIST, Subset<512>, Split<0.25>>
                    | Model<ResNet18>
                    | Loss<CrossEntropy>
                    | Optimizer<SGD, {.lr = 0.05}>
                    | Schedule<Constant>
                    | Train<{.epochs = 3, .batch_size = 64, .eval_batch_size = 256}>;
// clang-format on

run_options workflow_options(fs::path const& root) {
    run_options o;
    o.device = "cpu";
    o.seed = 5;
    o.out_dir = root;
    o.threads = 2;
    o.log = nullptr;
    return o;
}

} // namespace

TEST_CASE("train/workflow: a run measures the clean gap and leaves curves, records and its "
          "best weights") {
    auto const root =
        fs::temp_directory_path() / ("pipeline-workflow-" + std::to_string(::getpid()));
    fs::remove_all(root);
    auto const r = fit(tiny_split, workflow_options(root));
    REQUIRE(r.history.size() == 3);
    for (auto const& [m, lrs, trainable, ema, tta] : r.history) {
        CHECK(m.clean_train_acc >= 0.0);
        CHECK(m.clean_train_acc <= 1.0);
        CHECK(std::isfinite(m.clean_train_loss));
        CHECK(m.gap() == doctest::Approx(m.clean_train_acc - m.val_acc));
        CHECK(m.images_per_second > 0.0);
    }
    // Without augmentation the clean figures are the training data in evaluation mode,
    // not the batches' running averages: they differ.
    CHECK(r.history.back().metrics.clean_train_loss != r.history.back().metrics.train_loss);
    // The directory says which experiment it holds.
    auto const name = r.run_dir.filename().string();
    CHECK(name.find("fashionmnist-resnet18-") != std::string::npos);
    CHECK(name.find("-seed5") != std::string::npos);
    // metrics.csv has the clean columns; metrics.jsonl one JSON record per epoch.
    auto const csv = slurp(r.run_dir / "metrics.csv");
    CHECK(csv.rfind("epoch,train_loss,train_acc,clean_train_loss,clean_train_acc,val_loss,"
                    "val_acc,gap,lr,images_per_second,seconds\n",
                    0)
          == 0);
    std::ifstream jsonl(r.run_dir / "metrics.jsonl");
    int lines = 0;
    for (std::string line; std::getline(jsonl, line); ++lines) {
        auto const j = nlohmann::json::parse(line);
        CHECK(j["metrics"]["epoch"] == lines + 1);
        CHECK(j["metrics"]["gap"].get<double>()
              == doctest::Approx(r.history[static_cast<std::size_t>(lines)].metrics.gap()));
        CHECK(j["block_lrs"].size() == 6);
    }
    CHECK(lines == 3);
    // The learning curves: an SVG with a line per series, in both panels.
    auto const svg = slurp(r.run_dir / "curves.svg");
    CHECK(svg.rfind("<svg", 0) == 0);
    CHECK(svg.find("</svg>") != std::string::npos);
    CHECK(svg.find("train (clean)") != std::string::npos);
    CHECK(svg.find("validation") != std::string::npos);
    // best.safetensors holds the best epoch by validation accuracy, with class names.
    auto const best = read_safetensors(r.run_dir / "best.safetensors");
    CHECK(std::stoi(best.metadata.at("epoch")) == r.best_epoch);
    CHECK(std::stod(best.metadata.at("val_acc"))
          == doctest::Approx(
              r.history[static_cast<std::size_t>(r.best_epoch) - 1].metrics.val_acc));
    auto const names = nlohmann::json::parse(best.metadata.at("class_names"));
    CHECK(names.size() == 10);
    CHECK(names[9] == "Ankle boot");
    // A finished run needs no checkpoint: it is removed, the final model stays.
    CHECK(fs::exists(r.run_dir / "model.safetensors"));
    CHECK_FALSE(fs::exists(r.run_dir / "checkpoint.safetensors"));
    auto const summary = nlohmann::json::parse(slurp(r.run_dir / "summary.json"));
    CHECK(summary["best_epoch"]["epoch"] == r.best_epoch);
    // The per-class report of the test pass: its totals are the run's.
    auto const report = slurp(r.run_dir / "report.md");
    CHECK(report.find(fmt::format("{} examples | accuracy {:.2f}%", r.test_examples,
                                  100.0 * r.test_acc))
          != std::string::npos);
    CHECK(report.find("| Ankle boot |") != std::string::npos);
    CHECK(summary["macro_f1"].get<double>() >= 0.0);
    CHECK(slurp(r.run_dir / "confusion.svg").find(">Ankle boot</text>")
          != std::string::npos);
    fs::remove_all(root);
}

TEST_CASE("train/workflow: --no-weights writes records and curves, no weights") {
    auto const root =
        fs::temp_directory_path() / ("pipeline-noweights-" + std::to_string(::getpid()));
    fs::remove_all(root);
    auto o = workflow_options(root);
    o.save_weights = false;
    o.epochs = 1;
    o.eval_limit = 64;
    auto const r = fit(tiny_split, o);
    CHECK(fs::exists(r.run_dir / "metrics.csv"));
    CHECK(fs::exists(r.run_dir / "curves.svg"));
    CHECK(fs::exists(r.run_dir / "summary.json"));
    for (auto const& e : fs::directory_iterator(r.run_dir))
        CHECK_MESSAGE(e.path().extension() != ".safetensors", e.path());
    fs::remove_all(root);
}

TEST_CASE("train/workflow: a long epoch reports its progress") {
    std::ostringstream log;
    running_metrics m(torch::kCPU);
    m.add(torch::tensor(0.5), torch::zeros({4, 10}), torch::zeros({4}, torch::kInt64));
    epoch_progress progress(&log, 2, 10, 4, /*interval=*/0.0);
    auto const loss = [&m] { return m.read().first; };
    progress.update(3, loss);
    progress.update(10, loss); // the last step: the epoch's row follows, no progress line
    progress.finish();
    auto const text = log.str();
    CHECK(text.find("epoch 2: 3/10 steps (30%)") != std::string::npos);
    CHECK(text.find("loss 0.5000") != std::string::npos);
    CHECK(text.find(" left") != std::string::npos);
    CHECK(text.find("10/10") == std::string::npos);
}

TEST_CASE("train/workflow: spread over seeds and the paired comparison") {
    auto const s = spread_of({0.90, 0.92, 0.94});
    CHECK(s.mean == doctest::Approx(0.92));
    CHECK(s.std == doctest::Approx(0.02));
    CHECK(s.text() == "92.00 ± 2.00");
    // B beats A by 1 point on every seed but one: t = 0.8667 / (0.2309 / sqrt(3)).
    auto const c = compare_paired({0.90, 0.91, 0.92}, {0.91, 0.92, 0.926});
    CHECK(c.difference.mean == doctest::Approx((0.01 + 0.01 + 0.006) / 3));
    // 95% interval: mean +- t(0.975, 2) * sd / sqrt(3), t(0.975, 2) = 4.302653
    double const sd = c.difference.std;
    CHECK(c.low == doctest::Approx(c.difference.mean - 4.302653 * sd / std::sqrt(3.0)));
    CHECK(c.low > 0.0);
    CHECK(c.verdict.rfind("better", 0) == 0);
    CHECK(c.p_value < 0.05);
    auto const noise = compare_paired({0.90, 0.92, 0.91}, {0.91, 0.90, 0.915});
    CHECK(noise.low < 0.0);
    CHECK(noise.high > 0.0);
    CHECK(noise.verdict.rfind("no difference", 0) == 0);
    CHECK(compare_paired({0.9}, {0.95}).verdict.rfind("one seed", 0) == 0);
}

TEST_CASE("train/workflow: a data-parallel run's evaluation shares add up to the split") {
    // 10 examples in batches of 3: 4 batches, the last of one. Rank r of W evaluates
    // batches r, r + W, ...; the shares' sums (added over the ranks by the trainer) must be
    // the whole split's, also when some rank has no batch at all.
    auto const cpu = torch::Device(torch::kCPU);
    auto images = torch::arange(10 * 8, torch::kInt64).remainder(256).to(torch::kUInt8);
    device_batches data(
        {images.reshape({10, 2, 2, 2}), torch::arange(10, torch::kInt64) % 3},
        normalizer(std::array<double, 2>{0, 0}, std::array<double, 2>{1, 1}, cpu));
    torch::manual_seed(3);
    torch::nn::Sequential model(torch::nn::Flatten(), torch::nn::Linear(8, 3));
    auto const [loss, acc] = evaluate(model, data, 3);
    for (int ranks : {2, 3, 5}) {
        CAPTURE(ranks);
        double loss_sum = 0.0;
        double correct = 0.0;
        std::int64_t seen = 0;
        for (int rank = 0; rank < ranks; ++rank) {
            std::int64_t n = 0;
            for (std::int64_t b = rank; b < 4; b += ranks)
                n += b == 3 ? 1 : 3;
            auto const [l, a] = evaluation_sums(model, data, 3, rank, ranks).read();
            loss_sum += l * static_cast<double>(n);
            correct += a * static_cast<double>(n);
            seen += n;
        }
        CHECK(seen == 10);
        CHECK(loss_sum / 10.0 == doctest::Approx(loss).epsilon(1e-12));
        CHECK(correct / 10.0 == doctest::Approx(acc).epsilon(1e-12));
    }
}
