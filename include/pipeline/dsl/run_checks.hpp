// The run-time side of the cross-stage rules, for what the type cannot know: the number
// of epochs after an `--epochs` override, and the training-set size of a dataset known
// only once read (ImageFolder) or cut by `--limit`. Each check is the compile-time rule's
// own condition (dsl/schedule_rules.hpp, dsl/size_rules.hpp, rules::unfreeze_within_run)
// applied to the run's values, and returns the message of the first rule broken, so a run
// stops before any data loading or model building instead of silently clamping a
// warm-up, skipping an unfreeze or training on fewer examples than it prints. They read
// the experiment's specification (dsl/spec.hpp). Torch-free.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <pipeline/dsl/fixed_string.hpp>
#include <pipeline/dsl/pipeline.hpp>
#include <pipeline/dsl/rules.hpp>
#include <pipeline/dsl/schedule_rules.hpp>
#include <pipeline/dsl/size_rules.hpp>
#include <pipeline/dsl/spec.hpp>

namespace pipeline {

namespace detail {
//! "1 epoch", "2.5 epochs", "300 training examples".
inline std::string count_of(double n, std::string const& word) {
    return format_number(n) + " " + word + (n == 1.0 ? "" : "s");
}
inline std::string count_of(std::int64_t n, std::string const& word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}
inline std::string count_of(int n, std::string const& word) {
    return count_of(std::int64_t{n}, word);
}
} // namespace detail

//! Whether a run of `epochs` epochs (Train<{.epochs}>, or `--epochs` when given) still
//! does what experiment `e` says: its schedule's warm-up ends before the run does, a Step
//! schedule decays at least once, every Unfreeze<Block, AtEpoch<N>> happens. Returns the
//! message of the first broken rule, `std::nullopt` when the run is fine. Call it before
//! loading any data (train/fit.hpp calls it once `--epochs` is applied):
//!
//!     if (auto const message = check_run_length(e, ctx.epochs))
//!         throw error("--epochs " + std::to_string(ctx.epochs), "...", *message);
inline std::optional<std::string> check_run_length(spec::experiment const& e, int epochs) {
    std::string const schedule = "Schedule<" + e.schedule.name() + ">";
    std::string const run = "the run (" + detail::count_of(epochs, "epoch") + ")";
    if (!(e.schedule.warmup_epochs < epochs))
        return "pipeline: the warm-up of " + schedule + " ("
               + detail::count_of(e.schedule.warmup_epochs, "epoch")
               + ") is not shorter than " + run
               + ", so the schedule would never get past it; train for more epochs than "
                 "the warm-up or shorten it";
    if (e.schedule.decay_every != 0 && !(e.schedule.decay_every < epochs)) {
        auto const first = std::to_string(e.schedule.decay_every + 1);
        return "pipeline: " + schedule + " first decays in epoch " + first
               + ", after the last of " + run
               + ", so the rate would never change; train for at least " + first
               + " epochs or lower every_epochs";
    }
    if (int const last = e.model.last_unfreeze; last > epochs)
        return "pipeline: an Unfreeze<Block, AtEpoch<" + std::to_string(last)
               + ">> comes after the last epoch of " + run
               + ", so that block would never train; train for at least "
               + std::to_string(last) + " epochs or unfreeze earlier";
    return std::nullopt;
}

//! `check_run_length` of pipeline P.
template <class P>
std::optional<std::string> check_run_length(int epochs) {
    return check_run_length(spec_of<P>, epochs);
}

//! Whether a training set of `train_examples` examples, cut as experiment `e` says
//! (`Subset<N>`, or `limit` from `--limit`, which overrides it; then `Split<f>`'s
//! hold-out, which rounds half up: `detail::count_splits`, as data/splits.hpp cuts), still
//! does what `e` says: Subset<N> keeps no more examples than there are, Split<f> holds
//! out at least one, and the training split fills one batch of Train<{.batch_size}>.
//! Returns the message of the first broken rule, `std::nullopt` when the split is fine.
//! The built-in datasets' sizes are checked at compile time; call this once the dataset
//! is read and before the model is built, for every dataset (an ImageFolder's size is
//! known only then, and a copy of a built-in dataset on disk may be cut short):
//!
//!     if (auto const message = check_split_sizes(e, all.train.size(), options.limit))
//!         throw error("training set of " + e.data.name(), "...", *message);
inline std::optional<std::string>
check_split_sizes(spec::experiment const& e, std::int64_t train_examples,
                  std::optional<std::int64_t> limit = std::nullopt) {
    auto const& d = e.data;
    std::string const has =
        d.name() + " has " + detail::count_of(train_examples, "training example");
    if (!limit && d.subset > train_examples)
        return "pipeline: " + d.stage_name() + " keeps " + std::to_string(d.subset)
               + " training examples, but " + has
               + ", so the run would train on fewer than it prints; lower N or drop "
                 "Subset<N>";
    auto const keep = limit ? *limit : d.subset;
    auto const c = detail::count_splits(train_examples, keep, d.split);
    std::string const kept = detail::count_of(c.kept, "training example")
                             + (limit ? " (--limit " + std::to_string(*limit) + ")" : "");
    if (d.split > 0.0 && c.held_out < 1)
        return "pipeline: Split<" + detail::format_number(d.split) + "> of " + kept
               + " holds out none (the fraction rounds to 0); use a larger fraction or "
                 "keep more examples";
    int const batch = e.train.batch_size;
    if (c.train < batch)
        return "pipeline: the training split (" + std::to_string(c.train) + " of " + kept
               + (c.held_out > 0
                      ? ", less " + std::to_string(c.held_out) + " held out by Split<"
                            + detail::format_number(d.split) + ">"
                      : std::string())
               + ") is smaller than one batch of Train<{.batch_size = "
               + std::to_string(batch)
               + "}>, and an epoch drops its last incomplete batch, so nothing would "
                 "train; lower batch_size or keep more examples";
    return std::nullopt;
}

//! `check_split_sizes` of pipeline P.
template <class P>
std::optional<std::string>
check_split_sizes(std::int64_t train_examples,
                  std::optional<std::int64_t> limit = std::nullopt) {
    return check_split_sizes(spec_of<P>, train_examples, limit);
}

} // namespace pipeline
