// Pipeline<Stages...> and operator|. Composition checks, at each `|`, that stages come in
// data-flow order and that unique kinds appear once; the whole-pipeline rules (a Load, a
// Model and a Loss must be present) are checked when the pipeline is run or validated.
// Hana carries the stage list: the queries below are Hana searches over it.
#pragma once

#include <array>
#include <cstddef>

#include <boost/hana/concat.hpp>
#include <boost/hana/count_if.hpp>
#include <boost/hana/filter.hpp>
#include <boost/hana/find_if.hpp>
#include <boost/hana/optional.hpp>
#include <boost/hana/transform.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>
#include <boost/hana/unpack.hpp>

#include <pipeline/dsl/at_most_one.hpp>
#include <pipeline/dsl/optimizers.hpp>
#include <pipeline/dsl/schedules.hpp>
#include <pipeline/dsl/stages.hpp>

namespace pipeline {

namespace detail {

//! A Hana predicate on `hana::type<Stage>`: is the stage of kind K?
template <stage_kind K>
struct is_kind_fn {
    template <class T>
    constexpr auto operator()(hana::basic_type<T>) const {
        return hana::bool_c<T::kind == K>;
    }
};
template <stage_kind K>
inline constexpr is_kind_fn<K> is_kind{};

//! The first stage whose kind ranks below an earlier stage's kind (i.e. is out of
//! data-flow order), or -1.
template <class... Stages>
constexpr int first_out_of_order() {
    constexpr std::array<int, sizeof...(Stages)> ranks{static_cast<int>(Stages::kind)...};
    int highest = -1;
    for (int r : ranks) {
        if (r < highest)
            return r;
        highest = r;
    }
    return -1;
}

} // namespace detail

namespace rules {

//! How many stages of kind K the list holds.
template <stage_kind K, class... Stages>
inline constexpr std::size_t count =
    decltype(hana::count_if(hana::tuple_t<Stages...>, detail::is_kind<K>))::value;

//! The kind of the first stage written after a stage that must follow it, if any.
template <class... Stages>
inline constexpr int out_of_order_kind = detail::first_out_of_order<Stages...>();

template <class... Stages>
inline constexpr bool in_data_flow_order = out_of_order_kind<Stages...> < 0;

//! At most one stage of kind K.
template <stage_kind K, class... Stages>
inline constexpr bool unique_kind = at_most_one(hana::tuple_t<Stages...>,
                                                detail::is_kind<K>);

//! Every kind but Augment appears at most once.
template <class... Stages>
inline constexpr bool unique_kinds =
    (... && (Stages::kind == stage_kind::augment || unique_kind<Stages::kind, Stages...>));

} // namespace rules

// clang-format off
//! An experiment: a list of stages in data-flow order. Build it with `|`; run it with
//! `pipeline::run(experiment, argc, argv)`.
//!
//!     constexpr auto experiment = Load<FashionMNIST>
//!                               | Model<ResNet18>
//!                               | Loss<CrossEntropy>;
// clang-format on
//! The stage order every order message quotes (a string literal, as static_assert needs).
#define PIPELINE_DATA_FLOW                                                                 \
    "(data flows Load | Augment... | Model | Loss | Optimizer | Schedule | Train | "       \
    "Precision | Execute | Evaluate | Distributed)"

template <class... Stages>
struct Pipeline {
    // Order: the loop is expanded in data-flow order, and an order written differently
    // from the one that runs would make the printed experiment lie.
    static_assert(rules::out_of_order_kind<Stages...> != int(stage_kind::load),
                  "pipeline: Load<...> must be the first stage " PIPELINE_DATA_FLOW);
    static_assert(
        rules::out_of_order_kind<Stages...> != int(stage_kind::augment),
        "pipeline: Augment<...> stages go after Load and before Model " PIPELINE_DATA_FLOW);
    static_assert(rules::out_of_order_kind<Stages...> != int(stage_kind::model),
                  "pipeline: Model<...> goes after Load and Augment and before "
                  "Loss " PIPELINE_DATA_FLOW);
    static_assert(rules::out_of_order_kind<Stages...> != int(stage_kind::loss),
                  "pipeline: Loss<...> goes after Model and before Optimizer, Schedule and "
                  "Train " PIPELINE_DATA_FLOW);
    static_assert(rules::out_of_order_kind<Stages...> != int(stage_kind::optimizer),
                  "pipeline: Optimizer<...> goes after Loss and before Schedule and "
                  "Train " PIPELINE_DATA_FLOW);
    static_assert(rules::out_of_order_kind<Stages...> != int(stage_kind::schedule),
                  "pipeline: Schedule<...> goes after Optimizer and before "
                  "Train " PIPELINE_DATA_FLOW);
    static_assert(rules::out_of_order_kind<Stages...> != int(stage_kind::train),
                  "pipeline: Train<...> goes after Schedule and before Precision, Execute, "
                  "Evaluate and Distributed " PIPELINE_DATA_FLOW);
    static_assert(rules::out_of_order_kind<Stages...> != int(stage_kind::precision),
                  "pipeline: Precision<...> goes after Train and before Execute, Evaluate "
                  "and Distributed " PIPELINE_DATA_FLOW);
    static_assert(rules::out_of_order_kind<Stages...> != int(stage_kind::execute),
                  "pipeline: Execute<...> goes after Train and Precision and before "
                  "Evaluate and Distributed " PIPELINE_DATA_FLOW);
    static_assert(rules::out_of_order_kind<Stages...> != int(stage_kind::evaluate),
                  "pipeline: Evaluate<...> goes after Train and before "
                  "Distributed " PIPELINE_DATA_FLOW);
    // Uniqueness: two of a kind would leave it ambiguous which one runs.
    static_assert(
        rules::unique_kind<stage_kind::load, Stages...>,
        "pipeline: two Load stages; a pipeline reads one dataset (combine options "
        "in one Load<D, Options...>)");
    static_assert(rules::unique_kind<stage_kind::model, Stages...>,
                  "pipeline: two Model stages; a pipeline trains one model (compare models "
                  "with two pipelines)");
    static_assert(rules::unique_kind<stage_kind::loss, Stages...>,
                  "pipeline: two Loss stages; a pipeline has exactly one loss");
    static_assert(rules::unique_kind<stage_kind::optimizer, Stages...>,
                  "pipeline: two Optimizer stages; a pipeline has exactly one optimizer");
    static_assert(rules::unique_kind<stage_kind::schedule, Stages...>,
                  "pipeline: two Schedule stages; a pipeline has exactly one schedule");
    static_assert(rules::unique_kind<stage_kind::train, Stages...>,
                  "pipeline: two Train stages; put all training settings in one "
                  "Train<{...}>");
    static_assert(rules::unique_kind<stage_kind::precision, Stages...>,
                  "pipeline: two Precision stages; a run computes in one number format");
    static_assert(rules::unique_kind<stage_kind::execute, Stages...>,
                  "pipeline: two Execute stages; name every option in one Execute<...>");
    static_assert(rules::unique_kind<stage_kind::evaluate, Stages...>,
                  "pipeline: two Evaluate stages; name every view in one "
                  "Evaluate<TTA<...>>");
    static_assert(rules::unique_kind<stage_kind::distributed, Stages...>,
                  "pipeline: two Distributed stages; a run spreads over processes one way "
                  "(tune it in one Distributed<DDP, {...}>)");

    //! The stages as a Hana tuple of types.
    static constexpr auto stages = hana::tuple_t<Stages...>;
};

template <stage A, stage B>
constexpr Pipeline<A, B> operator|(A, B) {
    return {};
}
template <class... S, stage B>
constexpr Pipeline<S..., B> operator|(Pipeline<S...>, B) {
    return {};
}
template <stage A, class... T>
constexpr Pipeline<A, T...> operator|(A, Pipeline<T...>) {
    return {};
}
template <class... S, class... T>
constexpr Pipeline<S..., T...> operator|(Pipeline<S...>, Pipeline<T...>) {
    return {};
}

//! No stage of the asked kind.
struct no_stage {};

namespace detail {
template <stage_kind K, class... S>
constexpr auto find_stage(Pipeline<S...>) {
    return hana::find_if(hana::tuple_t<S...>, is_kind<K>).value_or(hana::type_c<no_stage>);
}
} // namespace detail

//! The pipeline's stage of kind K, or `no_stage`.
template <stage_kind K, class P>
using stage_t = typename decltype(detail::find_stage<K>(P{}))::type;

//! The defaults used where a stage is omitted. They are documented in docs/stages.md.
using default_optimizer = OptimizerStage<SGD>;
using default_schedule = ScheduleStage<Cosine>;
using default_train = TrainStage<TrainParams{}>;

namespace detail {
template <stage_kind K, class Default, class... S>
constexpr auto stage_or(Pipeline<S...>) {
    if constexpr (rules::count<K, S...> == 0)
        return hana::tuple_t<Default>;
    else
        return hana::filter(hana::tuple_t<S...>, is_kind<K>);
}

template <class... S>
constexpr auto resolve(Pipeline<S...> p) {
    constexpr auto all = hana::tuple_t<S...>;
    auto stages = hana::concat(
        hana::concat(hana::filter(all, is_kind<stage_kind::load>),
                     hana::filter(all, is_kind<stage_kind::augment>)),
        hana::concat(
            hana::concat(hana::transform(hana::filter(all, is_kind<stage_kind::model>),
                                         hana::metafunction<resolved_stage>),
                         hana::filter(all, is_kind<stage_kind::loss>)),
            hana::concat(
                hana::concat(stage_or<stage_kind::optimizer, default_optimizer>(p),
                             stage_or<stage_kind::schedule, default_schedule>(p)),
                hana::concat(
                    hana::concat(
                        stage_or<stage_kind::train, default_train>(p),
                        hana::concat(
                            hana::concat(hana::filter(all, is_kind<stage_kind::precision>),
                                         hana::filter(all, is_kind<stage_kind::execute>)),
                            hana::filter(all, is_kind<stage_kind::evaluate>))),
                    hana::filter(all, is_kind<stage_kind::distributed>)))));
    return hana::unpack(stages, [](auto... t) {
        return hana::type_c<Pipeline<typename decltype(t)::type...>>;
    });
}
} // namespace detail

//! The pipeline with the documented defaults filled in for omitted Optimizer, Schedule
//! and Train stages, and the Pretrained<ImageNet> that Frozen<...> implies written out in
//! the Model stage: what actually runs.
template <class P>
using resolved_t = typename decltype(detail::resolve(P{}))::type;

} // namespace pipeline
