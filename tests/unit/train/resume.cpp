// train/resume: a run stopped after an unfreeze and resumed from its checkpoint reaches
// the same parameters, bit for bit, as the uninterrupted run (CPU, same seed); the
// resumed run writes a new directory and leaves the old one as it was.
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <doctest/doctest.h>
#include <torch/torch.h>

#include <pipeline/all.hpp>

using namespace pipeline;
namespace fs = std::filesystem;

namespace {
std::string slurp(fs::path const& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

//! metrics.csv without its last two columns (images/s and seconds: wall-clock).
std::string without_timing(std::string const& csv) {
    std::istringstream in(csv);
    std::string line, out;
    while (std::getline(in, line)) {
        line = line.substr(0, line.rfind(','));        // seconds
        out += line.substr(0, line.rfind(',')) + "\n"; // images per second
    }
    return out;
}

run_options options_in(fs::path const& root) {
    run_options o;
    o.device = "cpu";
    o.seed = 11;
    o.out_dir = root;
    o.eval_limit = 64;
    o.threads = 2;
    o.log = nullptr;
    return o;
}

template <class P>
void check_resume_matches(P experiment, std::string const& tag) {
    auto const root = fs::temp_directory_path()
                      / ("pipeline-resume-" + tag + "-" + std::to_string(::getpid()));
    fs::remove_all(root);
    auto const whole = fit(experiment, options_in(root));

    auto o = options_in(root);
    o.stop_after = 2; // after the unfreeze at epoch 2
    auto const first = fit(experiment, o);
    REQUIRE(first.history.size() == 2);
    CHECK(first.test_examples == 0); // stopped: no test pass
    auto const checkpoint = first.run_dir / "checkpoint.safetensors";
    REQUIRE(fs::exists(checkpoint));
    auto const metrics_before = slurp(first.run_dir / "metrics.csv");
    auto const checkpoint_before = slurp(checkpoint);

    o = options_in(root);
    o.resume = first.run_dir;
    auto const resumed = fit(experiment, o);
    CHECK(resumed.run_dir != first.run_dir);
    REQUIRE(resumed.history.size() == whole.history.size());
    for (std::size_t e = 0; e < whole.history.size(); ++e) {
        CHECK(resumed.history[e].metrics.train_loss == whole.history[e].metrics.train_loss);
        CHECK(resumed.history[e].metrics.val_loss == whole.history[e].metrics.val_loss);
        CHECK(resumed.history[e].block_lrs == whole.history[e].block_lrs);
        CHECK(resumed.history[e].ema_val == whole.history[e].ema_val);
    }
    REQUIRE(resumed.state.size() == whole.state.size());
    for (auto const& [name, t] : whole.state)
        CHECK_MESSAGE(torch::equal(t, resumed.state.at(name)), name);
    CHECK(resumed.test_loss == whole.test_loss);
    CHECK(resumed.ema_test_loss == whole.ema_test_loss);
    // The interrupted run's directory is untouched; the new one holds every epoch.
    CHECK(slurp(first.run_dir / "metrics.csv") == metrics_before);
    CHECK(slurp(checkpoint) == checkpoint_before);
    CHECK(without_timing(slurp(resumed.run_dir / "metrics.csv"))
          == without_timing(slurp(whole.run_dir / "metrics.csv")));
    CHECK(slurp(resumed.run_dir / "lrs.csv") == slurp(whole.run_dir / "lrs.csv"));
    fs::remove_all(root);
}
} // namespace

TEST_CASE("train/resume: SGD with momentum, a staged unfreeze and Ema, bit for bit") {
    // clang-format off
    constexpr auto staged = Load<FashionMNIST, Subset<192>>
                          | Model<ResNet18,
                                  Frozen<Stem, Layer1, Layer2>,
                                  Unfreeze<Layer2, AtEpoch<2>>,
                                  Ema<0.9>,
                                  FreezeRandomInit>
                          | Loss<CrossEntropy>
                          | Optimizer<SGD, {.lr = 0.05}>
                          | Schedule<Cosine, {.warmup_epochs = 1}>
                          | Train<{.epochs = 3, .batch_size = 64, .eval_batch_size = 256}>;
    // clang-format on
    check_resume_matches(staged, "sgd");
}

TEST_CASE("train/resume: AdamW moments and step counts survive the checkpoint") {
    // clang-format off
    constexpr auto staged = Load<FashionMNIST, Subset<192>>
                          | Model<ResNet18,
                                  Frozen<Stem, Layer1, Layer2, Layer3>,
                                  Unfreeze<Layer3, AtEpoch<2>>,
                                  FreezeRandomInit>
                          | Loss<CrossEntropy>
                          | Optimizer<AdamW, {.lr = 1e-3}>
                          | Schedule<OneCycle>
                          | Train<{.epochs = 3, .batch_size = 64, .eval_batch_size = 256}>;
    // clang-format on
    check_resume_matches(staged, "adamw");
}

TEST_CASE("train/resume: every random stream is in the checkpoint: Augment stages, MixUp, "
          "dropout") {
    // Every kind of randomness a run draws from after it starts: crops, flips and MixUp
    // (each Augment stage's own stream), head dropout (the process-wide stream), the
    // shuffle; with a staged unfreeze and a weight average on top.
    // clang-format off
    constexpr auto everything = Load<FashionMNIST, Subset<192>>
                              | Augment<RandomCrop<28, 2>>
                              | Augment<HorizontalFlip>
                              | Augment<MixUp>
                              | Model<ResNet18,
                                      Frozen<Stem, Layer1>,
                                      Unfreeze<Layer1, AtEpoch<2>>,
                                      HeadDropout<0.3>,
                                      Ema<0.9>,
                                      FreezeRandomInit>
                              | Loss<SoftTargetCE>
                              | Optimizer<SGD, {.lr = 0.05}>
                              | Schedule<Cosine, {.warmup_epochs = 1}>
                              | Train<{.epochs = 3, .batch_size = 64, .eval_batch_size = 256}>;
    // clang-format on
    check_resume_matches(everything, "augment");

    // The streams a checkpoint holds, listed: a stream added to the run without being
    // added here (and to trainer::random_streams) fails this test or the one above.
    auto const root =
        fs::temp_directory_path() / ("pipeline-streams-" + std::to_string(::getpid()));
    fs::remove_all(root);
    auto o = options_in(root);
    o.stop_after = 1;
    auto const run = fit(everything, o);
    std::set<std::string> streams;
    for (auto const& t : read_safetensors(run.run_dir / "checkpoint.safetensors").tensors)
        if (t.name.rfind("rng.", 0) == 0)
            streams.insert(t.name);
    CHECK(streams
          == std::set<std::string>{"rng.cpu", "rng.shuffle",
                                   "rng.augment:RandomCrop<28, 2>",
                                   "rng.augment:HorizontalFlip", "rng.augment:MixUp"});
    fs::remove_all(root);
}

TEST_CASE("train/resume: a checkpoint continues only its own run") {
    // clang-format off
    constexpr auto a = Load<FashionMNIST, Subset<128>>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>
                     | Schedule<Constant>
                     | Train<{.epochs = 2, .batch_size = 64}>;
    constexpr auto b = Load<FashionMNIST, Subset<128>>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>
                     | Schedule<Constant>
                     | Train<{.epochs = 3, .batch_size = 64}>;
    // clang-format on
    auto const root =
        fs::temp_directory_path() / ("pipeline-resume-bad-" + std::to_string(::getpid()));
    fs::remove_all(root);
    auto o = options_in(root);
    o.stop_after = 1;
    auto const first = fit(a, o);
    o = options_in(root);
    o.resume = first.run_dir;
    CHECK_THROWS_WITH_AS(fit(b, o), doctest::Contains("a checkpoint of Load<"),
                         pipeline::error);
    o.seed = 12;
    CHECK_THROWS_WITH_AS(fit(a, o), doctest::Contains("pass --seed 11"), pipeline::error);
    o = options_in(root);
    o.resume = root / "nowhere";
    CHECK_THROWS_WITH_AS(fit(a, o), doctest::Contains("no such file"), pipeline::error);
    fs::remove_all(root);
}
