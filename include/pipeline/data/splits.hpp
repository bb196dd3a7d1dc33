// From a dataset's official splits to the three a run uses: `Subset<N>` (or --limit) keeps
// the first N training examples, `Split<f>` holds out a seeded random fraction of them for
// validation (without it, validation is the test split, and the run says so), and
// --eval-limit cuts validation and test for smoke runs. A fixed subset of the training
// split, as large as the validation split, is kept apart to be evaluated like it (clean,
// in evaluation mode): the training side of a gap that means the same with and without
// augmentation.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include <pipeline/compat.hpp>
#include <pipeline/data/dataset.hpp>

namespace pipeline {

//! How a run cuts a dataset.
struct split_plan {
    //! Training examples kept, from the start (0: all).
    std::int64_t keep = 0;
    //! Fraction of the kept training examples held out for validation (0: none).
    double validation = 0.0;
    //! Seed of the held-out draw.
    std::uint64_t seed = 0;
    //! Validation and test examples evaluated, from the start (none: all).
    std::optional<std::int64_t> eval_limit;
    //! Seed of the clean training subset's draw.
    std::uint64_t clean_seed = 1;
};

//! The splits a run trains and evaluates on.
struct run_splits {
    labelled_images train;
    labelled_images val;
    labelled_images test;
    //! No Split<f>: the validation columns are measured on the test split.
    bool val_is_test = true;
    //! Training examples (a seeded draw, in storage order) evaluated clean after each
    //! epoch: as many as `val` holds, at most the whole training split.
    labelled_images clean_train;
    //! As dataset_splits::class_names.
    std::vector<std::string> class_names = {};
    //! As dataset_splits::test_names, for the examples `test` holds.
    std::vector<std::string> test_names = {};
};

//! Cuts `all` as `plan` says.
inline run_splits make_splits(dataset_splits all, split_plan const& plan) {
    run_splits out{std::move(all.train),     all.test, all.test,
                   plan.validation == 0.0,   {},       std::move(all.class_names),
                   std::move(all.test_names)};
    if (plan.keep > 0 && plan.keep < out.train.size())
        out.train = out.train.first(plan.keep);
    if (!out.val_is_test) {
        auto gen = compat::make_cpu_generator(plan.seed);
        auto const n = out.train.size();
        auto order = torch::randperm(n, gen, torch::kInt64);
        auto n_val = static_cast<std::int64_t>(
            std::llround(plan.validation * static_cast<double>(n)));
        n_val = std::clamp<std::int64_t>(n_val, 1, n - 1);
        out.val = out.train.select(order.narrow(0, 0, n_val));
        out.train = out.train.select(order.narrow(0, n_val, n - n_val));
    }
    if (plan.eval_limit) {
        out.val = out.val.first(std::min(*plan.eval_limit, out.val.size()));
        out.test = out.test.first(std::min(*plan.eval_limit, out.test.size()));
    }
    if (static_cast<std::int64_t>(out.test_names.size()) > out.test.size())
        out.test_names.resize(static_cast<std::size_t>(out.test.size()));
    auto gen = compat::make_cpu_generator(plan.clean_seed);
    auto const n = out.train.size();
    auto const clean = std::min(n, out.val.size());
    auto const pick =
        std::get<0>(torch::randperm(n, gen, torch::kInt64).narrow(0, 0, clean).sort());
    out.clean_train = out.train.select(pick);
    return out;
}

} // namespace pipeline
