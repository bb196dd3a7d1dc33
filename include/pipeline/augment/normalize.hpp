// Augment<Normalize<...>> and the choice of a run's normalisation statistics: Normalize's
// own when given, else the pretrained weights', else the dataset's. Normalisation itself
// happens as each batch is gathered (data/batches.hpp), so the stage is the identity
// afterwards.
#pragma once

#include <span>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include <pipeline/augment/augmentation.hpp>
#include <pipeline/data/batches.hpp>
#include <pipeline/dsl/augmentations.hpp>
#include <pipeline/dsl/spec.hpp>

namespace pipeline {

template <channel_values M, channel_values S>
struct augmentation_impl<Normalize<M, S>> {
    static torch::Tensor train(torch::Tensor const& x, torch::Generator&) { return x; }
    static torch::Tensor eval(torch::Tensor const& x) { return x; }
};

//! The input statistics of a run whose Augment stages are `stages`, by precedence: those
//! of its Normalize<mean, std> stage when it gives some (Normalize is the first Augment
//! stage when present: rules::normalize_first), otherwise `fallback` (the caller passes
//! the pretrained weights' statistics when it has weights, else the dataset's).
inline channel_statistics pipeline_statistics(std::span<spec::augmentation const> stages,
                                              channel_statistics fallback) {
    if (!stages.empty() && stages.front().kind == spec::augmentation_kind::normalize
        && stages.front().mean.count > 0) {
        auto const& n = stages.front();
        channel_statistics given;
        for (int c = 0; c < n.mean.count; ++c) {
            given.mean.push_back(n.mean.values[static_cast<std::size_t>(c)]);
            given.std.push_back(n.std.values[static_cast<std::size_t>(c)]);
        }
        return given;
    }
    return fallback;
}

//! The dataset's own statistics, as its type states them.
inline channel_statistics dataset_statistics(spec::dataset const& d) {
    return {{d.mean.begin(), d.mean.end()}, {d.std.begin(), d.std.end()}};
}

} // namespace pipeline
