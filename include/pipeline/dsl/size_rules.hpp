// The rules on the sizes a pipeline fixes at compile time: the built-in datasets' training
// sets (FashionMNIST 60,000, CIFAR10 50,000 examples), Subset<N>, Split<f>'s hold-out and
// Train<{.batch_size}>. A split that holds out nothing, or a training split smaller than
// one batch (the last incomplete batch of an epoch is dropped, so nothing would train),
// is an error here; for a dataset whose size is known only once read (ImageFolder), the
// same arithmetic runs before any model work (dsl/run_checks.hpp). Each rule is a trait
// (`pipeline::rules::...`) and a static_assert in `validate_sizes`, which `validate`
// calls. (Subset<N> within the dataset is the Load stage's own rule, dsl/stages.hpp.)
// Torch-free.
#pragma once

#include <cstdint>

#include <pipeline/dsl/pipeline.hpp>
#include <pipeline/dsl/train_params.hpp>

namespace pipeline {

namespace detail {

//! std::llround for x >= 0 (halves away from zero), as data/splits.hpp rounds the
//! held-out count; constexpr. (x - trunc(x) is exact in double arithmetic.)
constexpr std::int64_t round_half_up(double x) {
    auto const whole = static_cast<std::int64_t>(x);
    return x - static_cast<double>(whole) >= 0.5 ? whole + 1 : whole;
}

//! How data/splits.hpp cuts `available` training examples: the first `keep` (Subset<N> or
//! --limit; 0 or more than there are: all), of which the fraction `fraction` (Split<f>; 0:
//! none) is held out for validation and the rest trains.
struct split_counts {
    std::int64_t kept = 0;
    std::int64_t held_out = 0;
    std::int64_t train = 0;
};

constexpr split_counts count_splits(std::int64_t available, std::int64_t keep,
                                    double fraction) {
    split_counts c;
    c.kept = keep > 0 && keep < available ? keep : available;
    c.held_out = fraction > 0.0 ? round_half_up(fraction * static_cast<double>(c.kept)) : 0;
    c.train = c.kept - c.held_out;
    return c;
}

//! What the size rules read from pipeline P: the Load stage's dataset size, Subset<N> and
//! Split<f>, and the batch size of the (resolved) Train stage. `known` is false without a
//! Load stage (its own rule reports that) or when the size is known only at run time.
template <class P>
struct size_facts {
    static constexpr bool known = false;
};
template <class... S>
requires(
    rules::count<stage_kind::load, S...> == 1
    && dataset_spec<typename stage_t<
        stage_kind::load, Pipeline<S...>>::dataset>) struct size_facts<Pipeline<S...>> {
    using load = stage_t<stage_kind::load, Pipeline<S...>>;
    static constexpr std::int64_t available = load::dataset::train_size;
    static constexpr bool known = available > 0;
    static constexpr double split = load::split;
    static constexpr split_counts counts = count_splits(available, load::subset, split);
    static constexpr int batch_size =
        stage_t<stage_kind::train, resolved_t<Pipeline<S...>>>::params.batch_size;
};

} // namespace detail

namespace rules {

//! Split<f> holds out at least one example: f times the kept examples rounds to 1 or more
//! (data/splits.hpp would otherwise hold out one anyway, a fraction other than the one
//! printed).
template <class P>
inline constexpr bool split_holds_out = [] {
    using F = detail::size_facts<P>;
    if constexpr (F::known)
        return F::split == 0.0 || F::counts.held_out >= 1;
    else
        return true;
}();

//! The training split (Subset<N> or the whole training set, less Split<f>'s hold-out)
//! fills at least one batch of Train<{.batch_size}>; the last incomplete batch of an
//! epoch is dropped, so a smaller split would train on nothing.
template <class P>
inline constexpr bool training_split_fills_a_batch = [] {
    using F = detail::size_facts<P>;
    if constexpr (F::known)
        return F::counts.train >= F::batch_size;
    else
        return true;
}();

//! All size rules.
template <class P>
inline constexpr bool sizes_valid = split_holds_out<P>&& training_split_fills_a_batch<P>;

} // namespace rules

//! Checks the size rules; the first one broken stops compilation with its message.
template <class... S>
constexpr bool validate_sizes(Pipeline<S...>) {
    using P = Pipeline<S...>;
    static_assert(
        rules::split_holds_out<P>,
        "pipeline: Load<D, ..., Split<f>> holds out no example: f times the "
        "training examples (Subset<N> or the whole set) rounds to 0; use a larger "
        "f or keep more examples");
    static_assert(
        rules::training_split_fills_a_batch<P>,
        "pipeline: the training split of Load<...> (Subset<N> or the dataset's "
        "training set, less Split<f>'s hold-out) is smaller than one batch of "
        "Train<{.batch_size}> (128 when Train is omitted), and an epoch drops its "
        "last incomplete batch, so nothing would train; lower batch_size or keep "
        "more examples");
    return rules::sizes_valid<P>;
}

} // namespace pipeline
