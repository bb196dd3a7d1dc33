// train/roadmap: the roadmap table (each step's spread over seeds, its change from the
// step before with the paired interval and a verdict, the reference last) and a tiny
// roadmap run end to end from the command line, writing roadmap-<hash>.md and .json.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <pipeline/all.hpp>

using namespace pipeline;
namespace fs = std::filesystem;

namespace {
seed_summary runs_of(std::string name, std::vector<double> best_val) {
    std::vector<seed_figures> runs;
    std::uint64_t seed = 0;
    for (double v : best_val)
        runs.push_back({seed++, v, v, 2, v - 0.01, 0.05});
    return summarize(std::move(name), std::move(runs));
}

// clang-format off
constexpr auto first = Load<FashionMNIST, Subset<128>, Split<0.25>>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>
                     | Optimizer<SGD, {.lr = 0.05}>
                     | Train<{.epochs = 1, .batch_size = 64}>;
constexpr auto second = Load<FashionMNIST, Subset<128>, Split<0.25>>
                      | Model<ResNet18>
                      | Loss<SmoothedCE<0.1>>
                      | Optimizer<SGD, {.lr = 0.05}>
                      | Train<{.epochs = 1, .batch_size = 64}>;
constexpr auto reference = Load<FashionMNIST, Subset<128>, Split<0.25>>
                         | Model<ResNet18>
                         | Loss<CrossEntropy>
                         | Optimizer<SGD, {.lr = 0.1}>
                         | Train<{.epochs = 1, .batch_size = 64}>;
// clang-format on
} // namespace

TEST_CASE("train/roadmap: the table gives each step's change and whether it exceeds seed "
          "noise") {
    auto const a = runs_of("a", {0.80, 0.82, 0.81});
    auto const better = runs_of("b", {0.85, 0.86, 0.86}); // +4.67 points, steady
    auto const noisy = runs_of("c", {0.80, 0.90, 0.82});  // within the noise
    auto const ref = runs_of("r", {0.50, 0.52, 0.51});
    auto const table = roadmap_markdown({a, better, noisy},
                                        {"start: Load<X> | Model<Y>", "+ b", "+ c"}, ref);
    // The first step's pipeline stays in its cell: its '|' are escaped.
    CHECK(table.find("| 1 | start: Load<X> \\| Model<Y> |") != std::string::npos);
    CHECK(table.find("Model<Y> | 81.00 ± 1.00% |") != std::string::npos);
    CHECK(table.find("| 2 | + b | 85.67 ± 0.58% |") != std::string::npos);
    CHECK(table.find("+4.67") != std::string::npos);
    CHECK(table.find("| yes: better |") != std::string::npos);
    CHECK(table.find("| 3 | + c |") != std::string::npos);
    CHECK(table.find("| no |") != std::string::npos);
    CHECK(table.find("| reference | no transfer | 51.00 ± 1.00% |") != std::string::npos);
}

TEST_CASE("train/roadmap: a roadmap runs every step over the seeds and writes its table") {
    auto const root =
        fs::temp_directory_path() / ("pipeline-roadmap-" + std::to_string(::getpid()));
    fs::remove_all(root);
    std::vector<std::string> args{
        "roadmap", "--device",     "cpu",          "--threads", "2",         "--seeds",
        "2",       "--no-weights", "--eval-limit", "128",       "--out-dir", root.string()};
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    std::ostringstream captured;
    auto* const old = std::cout.rdbuf(captured.rdbuf());
    int const code =
        roadmap(static_cast<int>(argv.size()), argv.data(), reference, first, second);
    std::cout.rdbuf(old);
    REQUIRE(code == 0);
    std::vector<fs::path> md, json;
    for (auto const& e : fs::directory_iterator(root)) {
        auto const name = e.path().filename().string();
        if (name.rfind("roadmap-", 0) == 0)
            (e.path().extension() == ".md" ? md : json).push_back(e.path());
    }
    REQUIRE(md.size() == 1);
    REQUIRE(json.size() == 1);
    std::ifstream in(md[0]);
    std::stringstream text;
    text << in.rdbuf();
    CHECK(text.str().find("| 2 | - Loss<CrossEntropy> + Loss<SmoothedCE<0.1>> |")
          != std::string::npos);
    CHECK(text.str().find("| reference | no transfer |") != std::string::npos);
    auto const j = nlohmann::json::parse(std::ifstream(json[0]));
    REQUIRE(j["steps"].size() == 2);
    CHECK(j["steps"][0]["runs"].size() == 2);
    CHECK(j["reference"]["runs"].size() == 2);
    CHECK(j["seeds"] == 2);
    fs::remove_all(root);
}

TEST_CASE(
    "train/roadmap: a second sweep of the same experiment never overwrites the first, "
    "and each records its options") {
    auto const root =
        fs::temp_directory_path() / ("pipeline-sweeps-" + std::to_string(::getpid()));
    fs::remove_all(root);
    run_options o;
    o.device = "cpu";
    o.threads = 2;
    o.out_dir = root;
    o.log = nullptr;
    o.save_weights = false;
    o.seed = 4;
    o.eval_limit = 32;
    fit_seeds(first, o, 2);
    auto const stem = root / ("seeds-" + experiment_hash(describe(first)));
    auto const slurp = [](fs::path const& p) {
        std::ifstream in(p);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    };
    REQUIRE(fs::exists(stem.string() + ".md"));
    auto const md = slurp(stem.string() + ".md");
    auto const json = slurp(stem.string() + ".json");
    CHECK(md.find("options: `--seed 4 --seeds 2 --device cpu --eval-limit 32`")
          != std::string::npos);

    o.epochs = 2; // another sweep of the same experiment, longer: its own files
    o.limit = 100;
    fit_seeds(first, o, 2);
    CHECK(slurp(stem.string() + ".md") == md);
    CHECK(slurp(stem.string() + ".json") == json);
    REQUIRE(fs::exists(stem.string() + "-2.md"));
    auto const second_json = nlohmann::json::parse(slurp(stem.string() + "-2.json"));
    CHECK(second_json["options"]["epochs"] == "2");
    CHECK(second_json["options"]["limit"] == "100");
    CHECK(second_json["command_line"]
          == "--seed 4 --seeds 2 --device cpu --epochs 2 --limit 100 --eval-limit 32");
    fs::remove_all(root);
}
