// What a run leaves on disk: one directory per run holding the experiment's printed form,
// the per-epoch metrics and a summary. Files are replaced atomically (write, then rename),
// so a run that dies keeps every epoch it finished and never clobbers an earlier run.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <pipeline/error.hpp>

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

//! Writes `content` to `path` through a temporary file and a rename, so readers see the
//! old file or the new one, never half of one.
inline void write_atomically(std::filesystem::path const& path,
                             std::string const& content) {
    auto tmp = path;
    tmp += ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << content;
        out.flush();
        if (!out)
            throw error(tmp.string(), "a writable file", "a write error");
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec)
        throw error(path.string(), "a file that can be replaced", ec.message());
}

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

//! Keeps a run's files up to date as it goes.
class run_recorder {
public:
    run_recorder(std::filesystem::path dir, std::string experiment)
        : dir_(std::move(dir))
        , experiment_(std::move(experiment)) {
        write_atomically(dir_ / "experiment.txt", experiment_ + "\n");
    }

    [[nodiscard]] std::filesystem::path const& dir() const { return dir_; }

    void record(epoch_metrics const& m) {
        rows_.push_back(m);
        std::string csv = "epoch,train_loss,train_acc,val_loss,val_acc,gap,lr,seconds\n";
        for (auto const& r : rows_)
            csv += fmt::format("{},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.8g},{:.3f}\n",
                               r.epoch, r.train_loss, r.train_acc, r.val_loss, r.val_acc,
                               r.gap(), r.lr, r.seconds);
        write_atomically(dir_ / "metrics.csv", csv);
    }

    void finish(nlohmann::json summary) {
        summary["experiment"] = experiment_;
        write_atomically(dir_ / "summary.json", summary.dump(2) + "\n");
    }

private:
    std::filesystem::path dir_;
    std::string experiment_;
    std::vector<epoch_metrics> rows_;
};

} // namespace pipeline
