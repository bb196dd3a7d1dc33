// Experiments over seeds and controlled comparisons, the way the seed's workflow decides:
// `compare(A, B, argc, argv)` runs two pipelines one controlled change apart over the same
// seeds and says whether the change helps beyond seed noise; `run_variants(argc, argv, A,
// B, ...)` builds several pipelines into one binary (one compile for a sweep); `roadmap`
// runs a chain of one-change steps and a reference. The typed front: the rules (one
// change apart, a chain of single changes) are checked at compile time, and the program
// runs in the compiled core (app/program.hpp, app/reports.hpp). Torch-free.
#pragma once

#include <cstddef>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <pipeline/app/program.hpp>
#include <pipeline/dsl.hpp>
#include <pipeline/dsl/one_change.hpp>
#include <pipeline/dsl/spec.hpp>
#include <pipeline/run.hpp>

namespace pipeline {

//! Trains A and B over the same seeds (--seeds, default 3) and reports whether B is better,
//! worse or within seed noise (compare-<hashA>-<hashB>.md and .svg in --out-dir). A and B
//! must be one controlled change apart.
template <class... SA, class... SB>
int compare(Pipeline<SA...> a, Pipeline<SB...> b, int argc, char** argv) {
    static_assert(one_change<Pipeline<SA...>, Pipeline<SB...>>,
                  "pipeline: compare(A, B) needs A and B one controlled change apart (one "
                  "stage added, removed, or changed in one argument); diff(A, B) prints "
                  "what differs");
    if constexpr (!validate(Pipeline<SA...>{}) || !validate(Pipeline<SB...>{})) {
        return 2;
    } else {
        return run_program(make_program<program_kind::compare>(
                               {&spec_of<Pipeline<SA...>>, &spec_of<Pipeline<SB...>>},
                               diff(a, b)),
                           argc, argv);
    }
}

//! Several pipelines in one binary, one compile for a sweep: `--variant K` runs the K-th
//! (from 1), `--list` prints them, neither runs them all, each over --seeds.
template <class... P>
int run_variants(int argc, char** argv, P...) {
    static_assert(sizeof...(P) >= 1, "pipeline: run_variants needs at least one pipeline");
    if constexpr (!(validate(P{}) && ...)) {
        return 2;
    } else {
        return run_program(make_program<program_kind::variants>({&spec_of<P>...}), argc,
                           argv);
    }
}

namespace detail {
//! diff()'s lines on one line: "- Loss<CrossEntropy> + Loss<SmoothedCE<0.1>>".
inline std::string one_line(std::string text) {
    while (!text.empty() && text.back() == '\n')
        text.pop_back();
    for (auto& c : text)
        if (c == '\n')
            c = ' ';
    return text;
}

//! Each step one controlled change from the one before.
template <class... Steps>
inline constexpr bool chained_by_one_change = [
]<std::size_t... I>(std::index_sequence<I...>) {
    using list = std::tuple<Steps...>;
    return (one_change<std::tuple_element_t<I, list>,
                       std::tuple_element_t<I + 1, list>> && ...);
}
(std::make_index_sequence<sizeof...(Steps) - 1>{});

//! What each roadmap step changes: "start: <first step>", then each diff on one line.
template <class... Steps>
std::vector<std::string> roadmap_changes(Steps... steps) {
    auto const all = std::tuple{steps...};
    std::vector<std::string> changes{"start: " + describe(std::get<0>(all))};
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (changes.push_back(one_line(diff(std::get<I>(all), std::get<I + 1>(all)))), ...);
    }
    (std::make_index_sequence<sizeof...(Steps) - 1>{});
    return changes;
}

} // namespace detail

//! A roadmap (the seed's way to a good model): `steps`, each one controlled change from
//! the one before (static_asserted), run over the same seeds (--seeds, default 3), then
//! `reference` (a baseline with no constraint, e.g. the backbone trained from scratch).
//! Prints and (with --out-dir) writes roadmap-<hash>.md and .json: each step's mean ± std,
//! its change, and whether the change exceeds seed noise. `--step K` runs only step K
//! (K = steps + 1: the reference); `--list` prints the steps.
//!
//!     return roadmap(argc, argv, scratch, probe, unfreeze_top, smoothing);
template <class Reference, class... Steps>
int roadmap(int argc, char** argv, Reference reference, Steps... steps) {
    static_assert(sizeof...(Steps) >= 2, "pipeline: a roadmap needs at least two steps");
    static_assert(detail::chained_by_one_change<Steps...>,
                  "pipeline: each roadmap step must be one controlled change from the one "
                  "before (one stage added, removed, or changed in one argument); diff(A, "
                  "B) prints what differs");
    if constexpr (!(validate(Steps{}) && ...) || !validate(Reference{})) {
        return 2;
    } else {
        (void)reference;
        return run_program(make_program<program_kind::roadmap>(
                               {&spec_of<Steps>..., &spec_of<Reference>}, {},
                               detail::roadmap_changes(steps...)),
                           argc, argv);
    }
}

} // namespace pipeline
