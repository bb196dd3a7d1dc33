// train/records: run directories are never reused, files are replaced atomically, epoch
// records round-trip through JSON.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <pipeline/record/records.hpp>
#include <pipeline/record/run_directory.hpp>

#include "../support.hpp"

using namespace pipeline;
using pipeline::testing::slurp;
namespace fs = std::filesystem;

namespace {} // namespace

TEST_CASE(
    "train/records: two runs with the same seed in the same second get two directories") {
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

TEST_CASE("train/records: the recorder keeps every finished epoch on disk") {
    auto root =
        fs::temp_directory_path() / ("pipeline-recorder-" + std::to_string(::getpid()));
    fs::remove_all(root);
    run_recorder rec(make_run_dir(root, 0), "Load<FashionMNIST> | Model<ResNet18>");
    CHECK(slurp(rec.dir() / "experiment.txt") == "Load<FashionMNIST> | Model<ResNet18>\n");
    rec.record({.metrics = {.epoch = 1,
                            .train_loss = 1.5,
                            .train_acc = 0.5,
                            .clean_train_loss = 1.0,
                            .clean_train_acc = 0.625,
                            .val_loss = 1.25,
                            .val_acc = 0.25,
                            .lr = 0.1,
                            .seconds = 2,
                            .images_per_second = 640}});
    rec.record({.metrics = {.epoch = 2,
                            .train_loss = 1.0,
                            .train_acc = 0.75,
                            .clean_train_loss = 0.5,
                            .clean_train_acc = 0.875,
                            .val_loss = 1.0,
                            .val_acc = 0.5,
                            .lr = 0.05,
                            .seconds = 2,
                            .images_per_second = 650}});
    auto csv = slurp(rec.dir() / "metrics.csv");
    CHECK(csv.find("epoch,train_loss,train_acc,clean_train_loss,clean_train_acc,val_loss,"
                   "val_acc,gap,lr,images_per_second,seconds\n")
          == 0);
    // The gap is clean train accuracy minus validation accuracy.
    CHECK(csv.find("\n1,1.500000,0.500000,1.000000,0.625000,1.250000,0.250000,0.375000,0.1,"
                   "640.0,2.000\n")
          != std::string::npos);
    CHECK(
        csv.find("\n2,1.000000,0.750000,0.500000,0.875000,1.000000,0.500000,0.375000,0.05,"
                 "650.0,2.000\n")
        != std::string::npos);
    CHECK_FALSE(fs::exists(rec.dir() / "metrics.csv.tmp"));
    rec.finish({{"test_acc", 0.5}});
    CHECK(slurp(rec.dir() / "summary.json").find("\"test_acc\": 0.5") != std::string::npos);
    fs::remove_all(root);
}

TEST_CASE("train/records: lrs.csv has one column per block, by name; ema.csv the average") {
    auto root = fs::temp_directory_path() / ("pipeline-lrs-" + std::to_string(::getpid()));
    fs::remove_all(root);
    run_recorder rec(make_run_dir(root, 0), "x",
                     {"Stem", "Layer1", "Layer2", "Layer3", "Layer4", "Head"});
    rec.record({.metrics = {.epoch = 1, .lr = 0.1},
                .block_lrs = {0, 0, 0.01, 0.05, 0.1, 1.0},
                .ema_val = {0.5, 0.75}});
    std::istringstream lrs(slurp(rec.dir() / "lrs.csv"));
    std::string header, row;
    std::getline(lrs, header);
    std::getline(lrs, row);
    CHECK(header == "epoch,schedule,Stem,Layer1,Layer2,Layer3,Layer4,Head");
    CHECK(row == "1,0.1,0,0,0.01,0.05,0.1,1");
    CHECK(slurp(rec.dir() / "ema.csv") == "epoch,val_loss,val_acc\n1,0.500000,0.750000\n");
    fs::remove_all(root);
}

TEST_CASE("train/records: an epoch record round-trips through JSON; ema_val is optional") {
    epoch_record const r{.metrics = {.epoch = 3,
                                     .train_loss = 0.25,
                                     .train_acc = 0.875,
                                     .val_loss = 0.5,
                                     .val_acc = 0.75,
                                     .lr = 0.01,
                                     .seconds = 1.5},
                         .block_lrs = {0.0, 0.01},
                         .trainable = 1234,
                         .ema_val = {0.4, 0.8}};
    auto const back = nlohmann::json::parse(nlohmann::json(r).dump()).get<epoch_record>();
    CHECK(back.metrics.epoch == 3);
    CHECK(back.metrics.train_acc == 0.875);
    CHECK(back.metrics.seconds == 1.5);
    CHECK(back.block_lrs == r.block_lrs);
    CHECK(back.trainable == 1234);
    CHECK(back.ema_val == r.ema_val);
    // A record of a run without Ema has no "ema_val".
    auto const old = nlohmann::json::parse(
        R"({"metrics": {"epoch": 1, "train_loss": 1, "train_acc": 0.5, "clean_train_loss": 1,
             "clean_train_acc": 0.5, "val_loss": 1, "val_acc": 0.5, "lr": 0.1,
             "seconds": 2, "images_per_second": 100}, "block_lrs": [0.1], "trainable": 7})");
    auto const o = old.get<epoch_record>();
    CHECK(o.trainable == 7);
    CHECK(o.ema_val.empty());
    // A record missing its metrics is an error, not zeros.
    CHECK_THROWS_AS(
        nlohmann::json::parse(R"({"metrics": {"epoch": 1}})").get<epoch_record>(),
        nlohmann::json::exception);
}
