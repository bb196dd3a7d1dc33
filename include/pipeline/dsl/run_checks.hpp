// The run-time side of the cross-stage rules, for what the type cannot know: the number
// of epochs after an `--epochs` override, and the training-set size of a dataset known
// only once read (ImageFolder) or cut by `--limit`. Each check is the compile-time rule's
// own condition (dsl/schedule_rules.hpp, dsl/size_rules.hpp, rules::unfreeze_within_run)
// applied to the run's values, and returns the message of the first rule broken, so a run
// stops before any data loading or model building instead of silently clamping a
// warm-up, skipping an unfreeze or training on fewer examples than it prints. Torch-free.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <pipeline/dsl/fixed_string.hpp>
#include <pipeline/dsl/pipeline.hpp>
#include <pipeline/dsl/rules.hpp>
#include <pipeline/dsl/schedule_rules.hpp>
#include <pipeline/dsl/size_rules.hpp>

namespace pipeline {

namespace detail {
//! The latest Unfreeze<Block, AtEpoch<N>> of pipeline P, 0 without any.
template <class P>
constexpr int last_unfreeze_of() {
    if constexpr (requires { stage_t<stage_kind::model, P>::transfer::last_unfreeze; })
        return stage_t<stage_kind::model, P>::transfer::last_unfreeze;
    else
        return 0;
}

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
//! does what pipeline `P` says: its schedule's warm-up ends before the run does, a Step
//! schedule decays at least once, every Unfreeze<Block, AtEpoch<N>> happens. Returns the
//! message of the first broken rule, `std::nullopt` when the run is fine. Call it before
//! loading any data (train/run_options.hpp's start_run, once `--epochs` is applied):
//!
//!     if (auto const message = check_run_length<P>(ctx.epochs))
//!         throw error("--epochs " + std::to_string(ctx.epochs), "...", *message);
template <class P>
std::optional<std::string> check_run_length(int epochs) {
    using S = typename detail::run_stages<P>::schedule;
    std::string const schedule = stage_t<stage_kind::schedule, resolved_t<P>>::name();
    std::string const run = "the run (" + detail::count_of(epochs, "epoch") + ")";
    if (!detail::warmup_ends_within<S>(epochs))
        return "pipeline: the warm-up of " + schedule + " ("
               + detail::count_of(detail::warmup_epochs_of<S>(), "epoch")
               + ") is not shorter than " + run
               + ", so the schedule would never get past it; train for more epochs than "
                 "the warm-up or shorten it";
    if (!detail::step_decays_within<S>(epochs)) {
        auto const first = std::to_string(detail::decay_every_of<S>() + 1);
        return "pipeline: " + schedule + " first decays in epoch " + first
               + ", after the last of " + run
               + ", so the rate would never change; train for at least " + first
               + " epochs or lower every_epochs";
    }
    if (constexpr int last = detail::last_unfreeze_of<P>(); last > epochs)
        return "pipeline: an Unfreeze<Block, AtEpoch<" + std::to_string(last)
               + ">> comes after the last epoch of " + run
               + ", so that block would never train; train for at least "
               + std::to_string(last) + " epochs or unfreeze earlier";
    return std::nullopt;
}

//! Whether a training set of `train_examples` examples, cut as pipeline `P` says
//! (`Subset<N>`, or `limit` from `--limit`, which overrides it; then `Split<f>`'s
//! hold-out, rounded as data/splits.hpp rounds), still does what `P` says: Subset<N>
//! keeps no more examples than there are, Split<f> holds out at least one, and the
//! training split fills one batch of Train<{.batch_size}>. Returns the message of the
//! first broken rule, `std::nullopt` when the split is fine. The built-in datasets' sizes
//! are checked at compile time; call this once the dataset is read and before the model
//! is built, for every dataset (an ImageFolder's size is known only then, and a copy of a
//! built-in dataset on disk may be cut short):
//!
//!     if (auto const message = check_split_sizes<P>(all.train.size(), options.limit))
//!         throw error("training set of " + D::name(), "...", *message);
template <class P>
std::optional<std::string>
check_split_sizes(std::int64_t train_examples,
                  std::optional<std::int64_t> limit = std::nullopt) {
    using load = stage_t<stage_kind::load, P>;
    if constexpr (requires { load::subset; }) {
        std::string const has = load::dataset::name() + " has "
                                + detail::count_of(train_examples, "training example");
        if (!limit && load::subset > train_examples)
            return "pipeline: " + load::name() + " keeps " + std::to_string(load::subset)
                   + " training examples, but " + has
                   + ", so the run would train on fewer than it prints; lower N or drop "
                     "Subset<N>";
        auto const keep = limit ? *limit : load::subset;
        auto const c = detail::count_splits(train_examples, keep, load::split);
        std::string const kept =
            detail::count_of(c.kept, "training example")
            + (limit ? " (--limit " + std::to_string(*limit) + ")" : "");
        if (load::split > 0.0 && c.held_out < 1)
            return "pipeline: Split<" + detail::format_number(load::split) + "> of " + kept
                   + " holds out none (the fraction rounds to 0); use a larger fraction or "
                     "keep more examples";
        constexpr int batch = stage_t<stage_kind::train, resolved_t<P>>::params.batch_size;
        if (c.train < batch)
            return "pipeline: the training split (" + std::to_string(c.train) + " of "
                   + kept
                   + (c.held_out > 0
                          ? ", less " + std::to_string(c.held_out) + " held out by Split<"
                                + detail::format_number(load::split) + ">"
                          : std::string())
                   + ") is smaller than one batch of Train<{.batch_size = "
                   + std::to_string(batch)
                   + "}>, and an epoch drops its last incomplete batch, so nothing would "
                     "train; lower batch_size or keep more examples";
    }
    return std::nullopt;
}

} // namespace pipeline
