// What a run records: one typed record per finished epoch (its metrics, every block's
// learning rate, the trainable parameters, the weight average's validation figures),
// serialised through nlohmann-json's own macros into checkpoints, metrics.jsonl and
// summaries. Torch-free.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace pipeline {

//! One row of the epoch table. Accuracies are fractions in [0, 1].
struct epoch_metrics {
    int epoch = 0;
    //! Loss and accuracy over the epoch's training batches as the model saw them:
    //! augmented and mixed, in training mode (accuracy against each example's own label).
    double train_loss = 0.0;
    double train_acc = 0.0;
    //! The same measured after the epoch on a fixed subset of the training data, clean
    //! (no augmentation, no mixing) and in evaluation mode, exactly as validation is: the
    //! side of the gap that means the same with and without MixUp.
    double clean_train_loss = 0.0;
    double clean_train_acc = 0.0;
    double val_loss = 0.0;
    double val_acc = 0.0;
    double lr = 0.0;
    double seconds = 0.0;
    //! Training images per second (training steps only).
    double images_per_second = 0.0;

    //! The clean train-validation accuracy gap, the seed's first diagnostic of
    //! over-fitting.
    [[nodiscard]] double gap() const { return clean_train_acc - val_acc; }
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(epoch_metrics, epoch, train_loss, train_acc,
                                   clean_train_loss, clean_train_acc, val_loss, val_acc, lr,
                                   seconds, images_per_second)

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
    //! With Evaluate<TTA<...>>: the validation loss and accuracy over the views; empty
    //! without.
    std::vector<double> tta_val;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(epoch_record, metrics, block_lrs, trainable,
                                                ema_val, tta_val)

//! Early stopping (Train<{.patience, .min_delta}>) as Lightning's EarlyStopping counts on
//! a metric to maximise: an epoch improves when its validation accuracy minus `min_delta`
//! is above the best so far (which it then becomes); otherwise the wait grows. Returns
//! why the run stops after the last epoch of `history` (the wait has reached `patience`),
//! or nothing. Computed from the history alone, so a resumed run stops where the
//! uninterrupted one would.
inline std::optional<std::string>
early_stop_reason(std::vector<epoch_record> const& history, int patience,
                  double min_delta) {
    if (patience <= 0)
        return std::nullopt;
    double best = -std::numeric_limits<double>::infinity();
    int best_epoch = 0;
    int wait = 0;
    for (auto const& r : history) {
        if (r.metrics.val_acc - min_delta > best) {
            best = r.metrics.val_acc;
            best_epoch = r.metrics.epoch;
            wait = 0;
        } else {
            ++wait;
        }
    }
    if (wait < patience)
        return std::nullopt;
    return fmt::format("validation accuracy has not improved by more than {} for {} "
                       "epoch{} (Train<{{.patience = {}}}>); best {:.2f}% at epoch {}",
                       min_delta, wait, wait == 1 ? "" : "s", patience, 100.0 * best,
                       best_epoch);
}

//! The epochs of the `k` best models by validation accuracy in `history`, best first
//! (ties: the earlier epoch first), as Train<{.keep_best}> keeps them.
inline std::vector<int> best_epochs(std::vector<epoch_record> const& history, int k) {
    std::vector<epoch_metrics const*> order;
    for (auto const& r : history)
        order.push_back(&r.metrics);
    std::stable_sort(order.begin(), order.end(),
                     [](auto const* a, auto const* b) { return a->val_acc > b->val_acc; });
    std::vector<int> out;
    for (std::size_t i = 0; i < order.size() && static_cast<int>(i) < k; ++i)
        out.push_back(order[i]->epoch);
    return out;
}

} // namespace pipeline
