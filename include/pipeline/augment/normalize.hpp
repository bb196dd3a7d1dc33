// Augment<Normalize<...>> and the choice of normalisation statistics for a pipeline:
// Normalize's own when given, else the pretrained weights', else the dataset's.
// Normalisation itself happens as each batch is gathered (data/batches.hpp), so the stage
// is the identity afterwards.
#pragma once

#include <array>
#include <cstddef>
#include <type_traits>
#include <utility>

#include <boost/hana/find_if.hpp>
#include <boost/hana/optional.hpp>
#include <boost/hana/take_front.hpp>
#include <boost/hana/type.hpp>
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
template <class A>
inline constexpr bool gives_statistics = false;
template <channel_values M, channel_values S>
inline constexpr bool gives_statistics<Normalize<M, S>> = Normalize<M, S>::explicit_stats;
inline constexpr auto gives_statistics_fn = []<class A>(hana::basic_type<A>) {
    return hana::bool_c<gives_statistics<A>>;
};

//! `hana::type_c<Normalize<M, S>>` when pipeline P's Normalize stage gives statistics,
//! `hana::type_c<void>` otherwise. Normalize is the first Augment stage when present
//! (rules::normalize_first).
template <class P>
constexpr auto explicit_normalize() {
    auto const first = hana::take_front(augmentations_t<P>{}, hana::size_c<1>);
    return hana::find_if(first, gives_statistics_fn).value_or(hana::type_c<void>);
}
} // namespace detail

//! The input statistics of pipeline `P`, by precedence: those of its Normalize<mean, std>
//! stage when it gives some, otherwise `mean`/`std` (the caller passes the pretrained
//! weights' statistics when it has weights, else the dataset's).
template <class P, std::size_t C>
std::pair<std::array<double, C>, std::array<double, C>>
pipeline_statistics(std::array<double, C> const& mean, std::array<double, C> const& std) {
    using N = typename decltype(detail::explicit_normalize<P>())::type;
    if constexpr (!std::is_void_v<N>) {
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
