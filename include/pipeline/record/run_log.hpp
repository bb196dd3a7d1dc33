// A run's account of itself as it goes: the epoch table on the log, the run directory
// (records.hpp), and the result fit returns, all fed the same epoch records.
#pragma once

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <pipeline/error.hpp>
#include <pipeline/record/checkpoint.hpp>
#include <pipeline/record/records.hpp>
#include <pipeline/record/result.hpp>
#include <pipeline/record/run_directory.hpp>
#include <pipeline/record/run_options.hpp>

namespace pipeline {

namespace detail {
inline std::string percent(double fraction) {
    return fmt::format("{:.2f}%", 100.0 * fraction);
}
} // namespace detail

//! Tells the run's story: opens its directory (unless --out-dir is empty), prints the
//! epoch table and keeps the result.
class run_log {
public:
    //! The log of a run of `experiment` (printed form) for `epochs` epochs with
    //! `options`, whose model has the blocks `blocks`; `tag` goes into the run directory's
    //! name (experiment_tag).
    run_log(run_options const& options, std::string experiment, int epochs,
            std::vector<std::string> blocks, std::string const& tag)
        : options_(options)
        , epochs_(epochs) {
        result_.experiment = std::move(experiment);
        result_.blocks = std::move(blocks);
        if (!options.out_dir.empty()) {
            recorder_.emplace(make_run_dir(options.out_dir, options.seed, tag),
                              result_.experiment, result_.blocks);
            result_.run_dir = recorder_->dir();
            say(fmt::format("results: {}\n", recorder_->dir().string()));
        }
    }

    //! Takes over the epochs a resumed checkpoint finished, as if this run had.
    void resumed(loaded_checkpoint const& ck) {
        for (auto const& r : ck.info.history)
            note(r);
        say(fmt::format("resumed from {} after epoch {} (step {})\n", ck.path.string(),
                        ck.info.epoch, ck.info.step));
    }

    //! The table's header line: training figures as the model saw its batches
    //! (augmented), then the same on the clean training subset, validation, and the gap
    //! between the clean and validation accuracies.
    void header() const {
        say(fmt::format(
            "{:>5} {:>10} {:>9} {:>10} {:>9} {:>9} {:>8} {:>8} {:>9} {:>7} {:>7}\n",
            "epoch", "train_loss", "train_acc", "clean_loss", "clean_acc", "val_loss",
            "val_acc", "gap", "lr", "img/s", "sec"));
    }

    //! A diverged epoch ends the run with one error that says where the earlier epochs are.
    void require_finite(epoch_record const& r) const {
        if (std::isfinite(r.metrics.train_loss))
            return;
        throw error("epoch " + std::to_string(r.metrics.epoch) + " of "
                        + result_.experiment,
                    "a finite training loss",
                    fmt::format("{} (lower the learning rate or clip gradients with "
                                "Train<{{.clip_grad_norm = 1}}>); earlier epochs are in {}",
                                r.metrics.train_loss,
                                recorder_ ? recorder_->dir().string() : "the log above"));
    }

    //! A finished epoch: its row (and the average's), its record on disk and in the
    //! result. Returns whether its validation accuracy is the best so far.
    bool add(epoch_record const& r) {
        auto const& m = r.metrics;
        say(fmt::format(
            "{:>5} {:>10.4f} {:>9} {:>10.4f} {:>9} {:>9.4f} {:>8} {:>8} {:>9.5f} {:>7.0f} "
            "{:>7.1f}\n",
            m.epoch, m.train_loss, detail::percent(m.train_acc), m.clean_train_loss,
            detail::percent(m.clean_train_acc), m.val_loss, detail::percent(m.val_acc),
            detail::percent(m.gap()), m.lr, m.images_per_second, m.seconds));
        if (r.ema_val.size() == 2)
            say(fmt::format("{:>5} {:>10} {:>9} {:>10} {:>9} {:>9.4f} {:>8}\n", "", "ema",
                            "", "", "", r.ema_val[0], detail::percent(r.ema_val[1])));
        if (r.tta_val.size() == 2)
            say(fmt::format("{:>5} {:>10} {:>9} {:>10} {:>9} {:>9.4f} {:>8}\n", "", "tta",
                            "", "", "", r.tta_val[0], detail::percent(r.tta_val[1])));
        return note(r);
    }

    //! The run directory, if the run writes one.
    [[nodiscard]] std::optional<std::filesystem::path> dir() const {
        return recorder_ ? std::optional(recorder_->dir()) : std::nullopt;
    }

    [[nodiscard]] run_result& result() { return result_; }
    [[nodiscard]] run_result const& result() const { return result_; }

    //! Ends the run after `epoch` at --stop-after: says how to resume, returns the result.
    run_result stop(int epoch, std::map<std::string, torch::Tensor> state) {
        say(fmt::format("stopped after epoch {} (--stop-after); resume with --resume {}\n",
                        epoch,
                        recorder_ ? recorder_->dir().string() : "(no run directory)"));
        result_.state = std::move(state);
        if (recorder_)
            recorder_->finish({{"stopped_after_epoch", epoch},
                               {"epochs", epochs_},
                               {"seed", options_.seed},
                               {"checkpoint", checkpoint_file_name}});
        return result_;
    }

    //! Writes summary.json (the experiment is added) if the run has a directory.
    void finish(nlohmann::json const& summary) const {
        if (recorder_)
            recorder_->finish(summary);
    }

private:
    void say(std::string const& text) const {
        if (options_.log)
            *options_.log << text << std::flush;
    }

    bool note(epoch_record const& r) {
        result_.history.push_back(r);
        if (recorder_)
            recorder_->record(r);
        bool const best =
            result_.best_epoch == 0
            || r.metrics.val_acc > result_.history[result_.best_epoch - 1].metrics.val_acc;
        if (best)
            result_.best_epoch = static_cast<int>(result_.history.size());
        return best;
    }

    run_options const& options_;
    int epochs_;
    std::optional<run_recorder> recorder_;
    run_result result_;
};

} // namespace pipeline
