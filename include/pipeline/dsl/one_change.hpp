// Controlled comparisons at compile time: `one_change<A, B>` holds exactly when pipelines A
// and B (their resolved forms, defaults filled in) differ in one stage, or in one argument
// of one stage (one Model option, one Load option), or by one stage added or removed;
// `diff(A, B)` says what differs. compare() static_asserts it, so a comparison that would
// change two things at once does not compile. Torch-free.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <type_traits>
#include <vector>

#include <boost/hana/at.hpp>
#include <boost/hana/drop_front.hpp>
#include <boost/hana/equal.hpp>
#include <boost/hana/length.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>
#include <boost/hana/unpack.hpp>

#include <pipeline/dsl/describe.hpp>
#include <pipeline/dsl/pipeline.hpp>

namespace pipeline {

namespace detail {

//! The arguments of a stage whose template takes types (Load, Augment, Model, Loss,
//! Optimizer, Schedule) as a Hana tuple of types; a stage of another shape (Train<{...}>)
//! is its own single argument.
template <class S>
struct stage_arguments {
    static constexpr auto value = hana::tuple_t<S>;
};
template <template <class...> class T, class... A>
struct stage_arguments<T<A...>> {
    static constexpr auto value = hana::tuple_t<A...>;
};

//! How many edits (one element changed, inserted or removed) turn the list of types A
//! into the list B (Hana tuples of types), counted up to 2: the edit distance, capped.
template <class A, class B>
constexpr int list_edits() {
    constexpr std::size_t n = decltype(hana::length(A{}))::value;
    constexpr std::size_t m = decltype(hana::length(B{}))::value;
    if constexpr (n == 0 || m == 0) {
        return n + m >= 2 ? 2 : static_cast<int>(n + m);
    } else {
        using A1 = decltype(hana::drop_front(A{}));
        using B1 = decltype(hana::drop_front(B{}));
        if constexpr (decltype(hana::at_c<0>(A{}) == hana::at_c<0>(B{}))::value) {
            return list_edits<A1, B1>();
        } else {
            // The first elements differ: change one, or drop a's, or drop b's.
            constexpr int best =
                std::min({list_edits<A1, B1>(), list_edits<A1, B>(), list_edits<A, B1>()});
            return best + 1 >= 2 ? 2 : best + 1;
        }
    }
}

//! Stages SA and SB differ in exactly one argument.
template <class SA, class SB>
constexpr bool one_argument_apart() {
    if constexpr (std::is_same_v<SA, SB>)
        return false;
    else
        return list_edits<std::remove_const_t<decltype(stage_arguments<SA>::value)>,
                          std::remove_const_t<decltype(stage_arguments<SB>::value)>>()
               == 1;
}

template <class A, class B>
struct one_change_between;
template <class... SA, class... SB>
struct one_change_between<Pipeline<SA...>, Pipeline<SB...>> {
    static constexpr bool value = [] {
        using TA = decltype(hana::tuple_t<SA...>);
        using TB = decltype(hana::tuple_t<SB...>);
        if constexpr (list_edits<TA, TB>() != 1) {
            return false;
        } else if constexpr (sizeof...(SA) != sizeof...(SB)) {
            return true; // one stage added or removed
        } else {
            // Same length, one stage replaced: by one of the same kind, one argument apart.
            constexpr bool same[] = {std::is_same_v<SA, SB>...};
            constexpr bool apart[] = {
                (SA::kind == SB::kind && one_argument_apart<SA, SB>())...};
            for (std::size_t i = 0; i < sizeof...(SA); ++i)
                if (!same[i])
                    return apart[i];
            return false;
        }
    }();
};

} // namespace detail

//! Whether pipelines A and B (as they run: defaults filled in) are one controlled change
//! apart: one stage added, removed or replaced by one of the same kind that differs in one
//! argument.
//!
//!     static_assert(one_change<decltype(baseline), decltype(with_smoothing)>);
template <class A, class B>
inline constexpr bool one_change =
    detail::one_change_between<resolved_t<A>, resolved_t<B>>::value;

//! What differs between A and B, stage by stage (the stages of A that B lacks, then
//! those B adds), empty when they run the same:
//!
//!     - Loss<CrossEntropy>
//!     + Loss<SmoothedCE<0.1>>
template <class... SA, class... SB>
std::string diff(Pipeline<SA...>, Pipeline<SB...>) {
    using RA = resolved_t<Pipeline<SA...>>;
    using RB = resolved_t<Pipeline<SB...>>;
    std::string removed, added;
    auto const names = [](auto stages) {
        return hana::unpack(stages, [](auto... t) {
            return std::vector<std::string>{decltype(t)::type::name()...};
        });
    };
    auto const a = names(RA::stages);
    auto const b = names(RB::stages);
    for (auto const& s : a)
        if (std::find(b.begin(), b.end(), s) == b.end())
            removed += "- " + s + "\n";
    for (auto const& s : b)
        if (std::find(a.begin(), a.end(), s) == a.end())
            added += "+ " + s + "\n";
    return removed + added;
}

} // namespace pipeline
