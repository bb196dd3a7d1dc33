// What a run records: one typed record per finished epoch (its metrics, every block's
// learning rate, the trainable parameters, the weight average's validation figures),
// serialised through nlohmann-json's own macros into checkpoints, and the files of a run
// directory, kept up to date as the run goes. Files are replaced atomically, so a run that
// dies keeps every epoch it finished and never clobbers an earlier run.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <range/v3/view/transform.hpp>

#include <pipeline/error.hpp>
#include <pipeline/io/atomic_file.hpp>
#include <pipeline/text.hpp>

namespace pipeline {

//! One row of the epoch table. Accuracies are fractions in [0, 1].
struct epoch_metrics {
    int epoch = 0;
    double train_loss = 0.0;
    double train_acc = 0.0;
    double val_loss = 0.0;
    double val_acc = 0.0;
    double lr = 0.0;
    double seconds = 0.0;

    //! The train-validation accuracy gap, the seed's first diagnostic of over-fitting.
    [[nodiscard]] double gap() const { return train_acc - val_acc; }
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(epoch_metrics, epoch, train_loss, train_acc, val_loss,
                                   val_acc, lr, seconds)

//! Everything a finished epoch leaves: what the epoch table prints and the checkpoint
//! keeps, so a resumed run reports the epochs before the interruption as its own.
struct epoch_record {
    epoch_metrics metrics;
    //! Each block's learning rate at the epoch's last step (0 while frozen), in the
    //! backbone's block order.
    std::vector<double> block_lrs;
    //! Parameters that trained in this epoch.
    std::int64_t trainable = 0;
    //! With Ema<decay>: the average's validation loss and accuracy; empty without.
    std::vector<double> ema_val;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(epoch_record, metrics, block_lrs, trainable,
                                                ema_val)

//! Creates `root/<date>-<time>-seed<N>[-k]`, never reusing an existing directory.
inline std::filesystem::path make_run_dir(std::filesystem::path const& root,
                                          std::uint64_t seed) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(root, ec);
    if (ec)
        throw error(root.string(), "an output directory that can be created", ec.message());
    auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    localtime_r(&now, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    auto base = std::string(stamp) + "-seed" + std::to_string(seed);
    for (int k = 0;; ++k) {
        auto dir = root / (k == 0 ? base : base + "-" + std::to_string(k));
        if (fs::create_directory(dir, ec))
            return dir;
        if (ec)
            throw error(dir.string(), "a new run directory", ec.message());
    }
}

//! A run directory, kept up to date as epochs finish: `experiment.txt` (the printed
//! experiment), `metrics.csv` (one row per epoch), `lrs.csv` (every block's rate per
//! epoch, one column per block by name), `ema.csv` (with Ema<decay>) and, at the end,
//! `summary.json`.
class run_recorder {
public:
    run_recorder(std::filesystem::path dir, std::string experiment,
                 std::vector<std::string> blocks = {})
        : dir_(std::move(dir))
        , experiment_(std::move(experiment))
        , blocks_(std::move(blocks)) {
        write_file_atomically(dir_ / "experiment.txt", experiment_ + "\n");
    }

    [[nodiscard]] std::filesystem::path const& dir() const { return dir_; }

    //! Adds a finished epoch and rewrites the per-epoch files.
    void record(epoch_record const& r) {
        records_.push_back(r);
        std::string metrics =
            "epoch,train_loss,train_acc,val_loss,val_acc,gap,lr,seconds\n";
        std::string lrs = "epoch,schedule," + join(blocks_, ",") + "\n";
        std::string ema = "epoch,val_loss,val_acc\n";
        bool any_ema = false;
        for (auto const& [m, block_lrs, trainable, ema_val] : records_) {
            metrics += fmt::format("{},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.8g},{:.3f}\n",
                                   m.epoch, m.train_loss, m.train_acc, m.val_loss,
                                   m.val_acc, m.gap(), m.lr, m.seconds);
            lrs += fmt::format("{},{:.8g},{}\n", m.epoch, m.lr,
                               join(block_lrs | ranges::views::transform([](double lr) {
                                        return fmt::format("{:.8g}", lr);
                                    }),
                                    ","));
            if (ema_val.size() == 2) {
                any_ema = true;
                ema += fmt::format("{},{:.6f},{:.6f}\n", m.epoch, ema_val[0], ema_val[1]);
            }
        }
        write_file_atomically(dir_ / "metrics.csv", metrics);
        if (!blocks_.empty())
            write_file_atomically(dir_ / "lrs.csv", lrs);
        if (any_ema)
            write_file_atomically(dir_ / "ema.csv", ema);
    }

    //! Writes `summary.json`, with the experiment added.
    void finish(nlohmann::json summary) const {
        summary["experiment"] = experiment_;
        write_file_atomically(dir_ / "summary.json", summary.dump(2) + "\n");
    }

private:
    std::filesystem::path dir_;
    std::string experiment_;
    std::vector<std::string> blocks_;
    std::vector<epoch_record> records_;
};

} // namespace pipeline
