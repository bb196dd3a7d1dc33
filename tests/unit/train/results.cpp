// train/results: run directories are never reused, files are replaced atomically.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <doctest/doctest.h>

#include <pipeline/train/results.hpp>

using namespace pipeline;
namespace fs = std::filesystem;

namespace {
std::string slurp(fs::path const& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}
} // namespace

TEST_CASE(
    "train/results: two runs with the same seed in the same second get two directories") {
    auto root =
        fs::temp_directory_path() / ("pipeline-results-" + std::to_string(::getpid()));
    fs::remove_all(root);
    auto a = make_run_dir(root, 3);
    auto b = make_run_dir(root, 3);
    CHECK(a != b);
    CHECK(fs::is_directory(a));
    CHECK(fs::is_directory(b));
    fs::remove_all(root);
}

TEST_CASE("train/results: the recorder keeps every finished epoch on disk") {
    auto root =
        fs::temp_directory_path() / ("pipeline-recorder-" + std::to_string(::getpid()));
    fs::remove_all(root);
    run_recorder rec(make_run_dir(root, 0), "Load<FashionMNIST> | Model<ResNet18>");
    CHECK(slurp(rec.dir() / "experiment.txt") == "Load<FashionMNIST> | Model<ResNet18>\n");
    rec.record({.epoch = 1,
                .train_loss = 1.5,
                .train_acc = 0.5,
                .val_loss = 1.25,
                .val_acc = 0.25,
                .lr = 0.1,
                .seconds = 2});
    rec.record({.epoch = 2,
                .train_loss = 1.0,
                .train_acc = 0.75,
                .val_loss = 1.0,
                .val_acc = 0.5,
                .lr = 0.05,
                .seconds = 2});
    auto csv = slurp(rec.dir() / "metrics.csv");
    CHECK(csv.find("epoch,train_loss,train_acc,val_loss,val_acc,gap,lr,seconds\n") == 0);
    CHECK(csv.find("\n1,1.500000,0.500000,1.250000,0.250000,0.250000,0.1,2.000\n")
          != std::string::npos);
    CHECK(csv.find("\n2,1.000000,0.750000,1.000000,0.500000,0.250000,0.05,2.000\n")
          != std::string::npos);
    CHECK_FALSE(fs::exists(rec.dir() / "metrics.csv.tmp"));
    rec.finish({{"test_acc", 0.5}});
    CHECK(slurp(rec.dir() / "summary.json").find("\"test_acc\": 0.5") != std::string::npos);
    fs::remove_all(root);
}
