// Augment<Normalize<...>> and the choice of normalisation statistics for a pipeline:
// Normalize's own when given, otherwise the dataset's. Normalisation itself happens as
// each batch is gathered (data/batches.hpp), so the stage is the identity afterwards.
#pragma once

#include <array>
#include <cstddef>

#include <torch/torch.h>

#include <pipeline/augment/augmentation.hpp>
#include <pipeline/data/batches.hpp>
#include <pipeline/dsl/augment_rules.hpp>
#include <pipeline/dsl/augmentations.hpp>

namespace pipeline {

template <channel_values M, channel_values S>
struct augmentation_impl<Normalize<M, S>> {
    static torch::Tensor train(torch::Tensor const& x, torch::Generator&) { return x; }
    static torch::Tensor eval(torch::Tensor const& x) { return x; }
};

namespace detail {
template <class List>
struct explicit_normalize {
    static constexpr bool found = false;
};
template <channel_values M, channel_values S, class... R>
struct explicit_normalize<type_list<Normalize<M, S>, R...>> {
    // Normalize is the first Augment stage when present (rules::normalize_first).
    static constexpr bool found = Normalize<M, S>::explicit_stats;
    using type = Normalize<M, S>;
};
} // namespace detail

//! The normaliser of pipeline `P` on `device`: the statistics of its Normalize<mean, std>
//! stage when it has one, otherwise those of its dataset. (The place where a pretrained
//! backbone's statistics will take precedence over the dataset's.)
template <class P>
normalizer pipeline_normalizer(torch::Device const& device) {
    using D = typename detail::pipeline_parts<P>::dataset;
    using list = augmentations_t<P>;
    if constexpr (detail::explicit_normalize<list>::found) {
        using N = typename detail::explicit_normalize<list>::type;
        std::array<double, D::channels> mean{};
        std::array<double, D::channels> std{};
        for (std::size_t c = 0; c < D::channels; ++c) {
            mean[c] = N::mean.values[c];
            std[c] = N::std.values[c];
        }
        return normalizer(mean, std, device);
    } else {
        return normalizer(D::mean, D::std, device);
    }
}

} // namespace pipeline
