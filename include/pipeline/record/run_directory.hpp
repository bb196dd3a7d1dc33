// A run's directory: named so a listing tells experiments apart, and kept up to date as
// epochs finish. Every file is replaced atomically, so a run that dies keeps every epoch
// it finished, and no run ever writes into another run's directory. Torch-free.
#pragma once

#include <cctype>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <range/v3/view/transform.hpp>

#include <pipeline/error.hpp>
#include <pipeline/io/atomic_file.hpp>
#include <pipeline/io/tensorboard.hpp>
#include <pipeline/random.hpp>
#include <pipeline/record/curves.hpp>
#include <pipeline/record/records.hpp>
#include <pipeline/text.hpp>

namespace pipeline {

//! What a run directory's name says about the experiment: a short slug of its dataset and
//! backbone and 8 hex digits of a hash of its whole printed form, so two experiments that
//! differ anywhere get different names: `cifar10-resnet18-3fa2b1c4`.
inline std::string experiment_tag(std::string_view dataset, std::string_view backbone,
                                  std::string_view experiment) {
    auto slug = [](std::string_view text) {
        std::string out;
        for (char c : text)
            if (std::isalnum(static_cast<unsigned char>(c)))
                out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            else if (!out.empty() && out.back() != '-')
                out += '-';
        while (!out.empty() && out.back() == '-')
            out.pop_back();
        return out.substr(0, 24);
    };
    return fmt::format("{}-{}-{:08x}", slug(dataset), slug(backbone),
                       derive_seed(0, experiment) & 0xffffffffU);
}

//! Creates `root/<date>-<time>-<tag>-seed<N>[-k]`, never reusing an existing directory.
inline std::filesystem::path make_run_dir(std::filesystem::path const& root,
                                          std::uint64_t seed, std::string const& tag = {}) {
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
    auto base = std::string(stamp) + (tag.empty() ? "" : "-" + tag) + "-seed"
                + std::to_string(seed);
    for (int k = 0;; ++k) {
        auto dir = root / (k == 0 ? base : base + "-" + std::to_string(k));
        if (fs::create_directory(dir, ec))
            return dir;
        if (ec)
            throw error(dir.string(), "a new run directory", ec.message());
    }
}

//! A run directory, kept up to date as epochs finish: `experiment.txt` (the printed
//! experiment), `metrics.csv` and `metrics.jsonl` (one row, one JSON record per epoch),
//! `lrs.csv` (every block's rate per epoch, one column per block by name), `ema.csv` (with
//! Ema<decay>), `curves.svg` (the learning curves), a TensorBoard event file (the same
//! figures, one step per epoch: `tensorboard --logdir runs` shows every run side by side)
//! and, at the end, `summary.json`.
class run_recorder {
public:
    run_recorder(std::filesystem::path dir, std::string experiment,
                 std::vector<std::string> blocks = {})
        : dir_(std::move(dir))
        , experiment_(std::move(experiment))
        , blocks_(std::move(blocks))
        , events_(dir_) {
        write_file_atomically(dir_ / "experiment.txt", experiment_ + "\n");
    }

    //! The TensorBoard scalars of epoch record `r`: the tags a run's event file holds.
    [[nodiscard]] std::vector<tensorboard::scalar> scalars(epoch_record const& r) const {
        auto const& m = r.metrics;
        std::vector<tensorboard::scalar> s{{"train/loss", m.train_loss},
                                           {"train/acc", m.train_acc},
                                           {"clean_train/loss", m.clean_train_loss},
                                           {"clean_train/acc", m.clean_train_acc},
                                           {"val/loss", m.val_loss},
                                           {"val/acc", m.val_acc},
                                           {"gap", m.gap()},
                                           {"lr/schedule", m.lr},
                                           {"images_per_second", m.images_per_second},
                                           {"epoch_seconds", m.seconds}};
        for (std::size_t b = 0; b < blocks_.size() && b < r.block_lrs.size(); ++b)
            s.push_back({"lr/" + blocks_[b], r.block_lrs[b]});
        if (r.ema_val.size() == 2) {
            s.push_back({"ema/val_loss", r.ema_val[0]});
            s.push_back({"ema/val_acc", r.ema_val[1]});
        }
        if (r.tta_val.size() == 2) {
            s.push_back({"tta/val_loss", r.tta_val[0]});
            s.push_back({"tta/val_acc", r.tta_val[1]});
        }
        return s;
    }

    //! The run's TensorBoard event file.
    [[nodiscard]] std::filesystem::path const& events() const { return events_.path(); }

    [[nodiscard]] std::filesystem::path const& dir() const { return dir_; }

    //! Adds a finished epoch and rewrites the per-epoch files.
    void record(epoch_record const& r) {
        records_.push_back(r);
        events_.add(r.metrics.epoch, scalars(r));
        std::string metrics = "epoch,train_loss,train_acc,clean_train_loss,clean_train_acc,"
                              "val_loss,val_acc,gap,lr,images_per_second,seconds\n";
        std::string jsonl;
        std::string lrs = "epoch,schedule," + join(blocks_, ",") + "\n";
        std::string ema = "epoch,val_loss,val_acc\n";
        bool any_ema = false;
        for (auto const& rec : records_) {
            auto const& m = rec.metrics;
            metrics += fmt::format("{},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:."
                                   "8g},{:.1f},{:.3f}\n",
                                   m.epoch, m.train_loss, m.train_acc, m.clean_train_loss,
                                   m.clean_train_acc, m.val_loss, m.val_acc, m.gap(), m.lr,
                                   m.images_per_second, m.seconds);
            nlohmann::json j = rec;
            j["metrics"]["gap"] = m.gap();
            jsonl += j.dump() + "\n";
            lrs += fmt::format("{},{:.8g},{}\n", m.epoch, m.lr,
                               join(rec.block_lrs | ranges::views::transform([](double lr) {
                                        return fmt::format("{:.8g}", lr);
                                    }),
                                    ","));
            if (rec.ema_val.size() == 2) {
                any_ema = true;
                ema += fmt::format("{},{:.6f},{:.6f}\n", m.epoch, rec.ema_val[0],
                                   rec.ema_val[1]);
            }
        }
        write_file_atomically(dir_ / "metrics.csv", metrics);
        write_file_atomically(dir_ / "metrics.jsonl", jsonl);
        write_file_atomically(dir_ / "curves.svg",
                              learning_curves_svg(records_, experiment_));
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
    event_file events_;
};

} // namespace pipeline
