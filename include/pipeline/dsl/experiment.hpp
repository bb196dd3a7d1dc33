// The arguments of a pipeline's stages, by name: what the training loop and its parts are
// templated on. Torch-free.
#pragma once

#include <type_traits>

#include <pipeline/dsl/evaluate.hpp>
#include <pipeline/dsl/execution.hpp>
#include <pipeline/dsl/parallelism.hpp>
#include <pipeline/dsl/pipeline.hpp>
#include <pipeline/dsl/precision.hpp>
#include <pipeline/dsl/train_params.hpp>

namespace pipeline {

//! The stages of pipeline `P` with the documented defaults filled in, and their arguments:
//! `experiment_types<P>::backbone` is `ResNet18` for `... | Model<ResNet18> | ...`.
template <class P>
struct experiment_types {
    using pipeline = resolved_t<P>;
    using load = stage_t<stage_kind::load, pipeline>;
    using dataset = typename load::dataset;
    using model = stage_t<stage_kind::model, pipeline>;
    using backbone = typename model::backbone;
    //! The per-block transfer plan of the Model stage's options (dsl/transfer.hpp).
    using plan = typename model::transfer;
    using loss = typename stage_t<stage_kind::loss, pipeline>::loss;
    using optimizer = typename stage_t<stage_kind::optimizer, pipeline>::optimizer;
    using schedule = typename stage_t<stage_kind::schedule, pipeline>::schedule;
    static constexpr TrainParams train = stage_t<stage_kind::train, pipeline>::params;
    //! The number format of a Precision<...> stage (FP32 without one).
    static constexpr PrecisionParams precision = [] {
        if constexpr (std::is_same_v<stage_t<stage_kind::precision, pipeline>, no_stage>)
            return FP32::precision;
        else
            return stage_t<stage_kind::precision, pipeline>::format::precision;
    }();
    //! The options of an Execute<...> stage (none without one).
    static constexpr ExecutionParams execution = [] {
        if constexpr (std::is_same_v<stage_t<stage_kind::execute, pipeline>, no_stage>)
            return ExecutionParams{};
        else
            return stage_t<stage_kind::execute, pipeline>::params;
    }();
    //! The views an Evaluate<TTA<...>> stage averages over (none without one).
    static constexpr TtaParams tta = [] {
        if constexpr (std::is_same_v<stage_t<stage_kind::evaluate, pipeline>, no_stage>)
            return TtaParams{};
        else
            return stage_t<stage_kind::evaluate, pipeline>::option::params;
    }();
    //! Whether the pipeline asks for data parallelism (a Distributed<...> stage), and its
    //! settings (the defaults, `DDP`'s, when it does not: a run launched with
    //! WORLD_SIZE > 1 goes data-parallel anyway).
    static constexpr bool distributed =
        !std::is_same_v<stage_t<stage_kind::distributed, pipeline>, no_stage>;
    static constexpr DdpParams ddp = [] {
        if constexpr (distributed)
            return stage_t<stage_kind::distributed, pipeline>::strategy::params;
        else
            return DdpParams{};
    }();
};

} // namespace pipeline
