// The one helper behind every "at most one X" rule (one Subset<N> per Load, one
// Pretrained<...> per Model, one stage of each kind but Augment per pipeline, one Frozen
// naming per block, ...): a second X would leave it ambiguous which one holds. Type lists
// in the type layer are Hana tuples of types, so the helper is a Hana search. Torch-free.
#pragma once

#include <cstddef>

#include <boost/hana/count_if.hpp>
#include <boost/hana/integral_constant.hpp>
#include <boost/hana/less_equal.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>

namespace pipeline {

namespace hana = boost::hana;

namespace rules {

//! Whether at most one of `types` (a Hana tuple of types) satisfies `predicate` (a Hana
//! predicate on `hana::type<T>`). With a compile-time predicate (one that returns
//! `hana::bool_c<...>`) the answer is a `hana::bool_c<...>` too, so it serves as a trait,
//! in `static_assert` and in other Hana searches alike:
//!
//!     constexpr auto is_subset_fn = []<class T>(hana::basic_type<T>) {
//!         return hana::bool_c<is_subset<T>>;
//!     };
//!     static_assert(rules::at_most_one(hana::tuple_t<Subset<100>, Split<0.1>>,
//!                                      is_subset_fn));
//!     static_assert(!rules::at_most_one(hana::tuple_t<Subset<100>, Subset<200>>,
//!                                       is_subset_fn));
template <class Types, class Predicate>
constexpr auto at_most_one(Types const& types, Predicate const& predicate) {
    return hana::count_if(types, predicate) <= hana::size_c<1>;
}

} // namespace rules
} // namespace pipeline
