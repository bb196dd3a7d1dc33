// Augment<Normalize<...>> and the choice of normalisation statistics for a pipeline:
// Normalize's own when given, else the pretrained weights', else the dataset's.
// Normalisation itself happens as each batch is gathered (data/batches.hpp), so the stage
// is the identity afterwards.
#pragma once

#include <array>
#include <cstddef>
#include <utility>

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

//! The input statistics of pipeline `P`, by precedence: those of its Normalize<mean, std>
//! stage when it gives some, otherwise `mean`/`std` (the caller passes the pretrained
//! weights' statistics when it has weights, else the dataset's).
template <class P, std::size_t C>
std::pair<std::array<double, C>, std::array<double, C>>
pipeline_statistics(std::array<double, C> const& mean, std::array<double, C> const& std) {
    using list = augmentations_t<P>;
    if constexpr (detail::explicit_normalize<list>::found) {
        using N = typename detail::explicit_normalize<list>::type;
        std::array<double, C> m{};
        std::array<double, C> s{};
        for (std::size_t c = 0; c < C; ++c) {
            m[c] = N::mean.values[c];
            s[c] = N::std.values[c];
        }
        return {m, s};
    } else {
        return {mean, std};
    }
}

//! The normaliser of pipeline `P` on `device` for the statistics `pipeline_statistics`
//! picks.
template <class P, std::size_t C>
normalizer pipeline_normalizer(torch::Device const& device,
                               std::array<double, C> const& mean,
                               std::array<double, C> const& std) {
    auto const [m, s] = pipeline_statistics<P>(mean, std);
    return normalizer(m, s, device);
}

//! The normaliser of pipeline `P` without pretrained weights: Normalize's statistics
//! when given, otherwise the dataset's.
template <class P>
normalizer pipeline_normalizer(torch::Device const& device) {
    using D = typename detail::pipeline_parts<P>::dataset;
    return pipeline_normalizer<P>(device, D::mean, D::std);
}

} // namespace pipeline
