// The eleven stage kinds and their variable templates: `Load<D>`, `Augment<A>`,
// `Model<B, Options...>`, `Loss<L>`, `Optimizer<O>`, `Schedule<S>`, `Train<{...}>`,
// `Precision<BF16>`, `Execute<ChannelsLast>`, `Evaluate<TTA<...>>`, `Distributed<DDP>`.
// Augment, Optimizer, Schedule, Precision and Distributed take an optional second argument,
// the hyperparameters of a name with defaults (`Schedule<Cosine, {.warmup_epochs = 1}>`,
// dsl/tunable.hpp). A stage is an empty constexpr object; composing stages runs nothing.
// Each stage checks the category of its argument first, so a misplaced argument is one
// readable error.
#pragma once

#include <concepts>
#include <cstdint>
#include <string>

#include <pipeline/concepts/augmentation.hpp>
#include <pipeline/concepts/backbone.hpp>
#include <pipeline/concepts/dataset.hpp>
#include <pipeline/concepts/loss.hpp>
#include <pipeline/concepts/optimizer.hpp>
#include <pipeline/concepts/schedule.hpp>
#include <pipeline/dsl/at_most_one.hpp>
#include <pipeline/dsl/datasets.hpp>
#include <pipeline/dsl/evaluate.hpp>
#include <pipeline/dsl/execution.hpp>
#include <pipeline/dsl/fixed_string.hpp>
#include <pipeline/dsl/model_options.hpp>
#include <pipeline/dsl/parallelism.hpp>
#include <pipeline/dsl/precision.hpp>
#include <pipeline/dsl/tags.hpp>
#include <pipeline/dsl/train_params.hpp>
#include <pipeline/dsl/transfer.hpp>
#include <pipeline/dsl/tunable.hpp>

namespace pipeline {

//! The kinds, in data-flow order: a pipeline lists its stages in this order.
enum class stage_kind {
    load,
    augment,
    model,
    loss,
    optimizer,
    schedule,
    train,
    precision,
    execute,
    evaluate,
    distributed
};

//! Anything with a `kind` is a stage.
template <class T>
concept stage = requires {
    { T::kind } -> std::convertible_to<stage_kind>;
};

namespace detail {
inline constexpr auto is_subset_fn = []<class T>(hana::basic_type<T>) {
    return hana::bool_c<is_subset<T>>;
};
inline constexpr auto is_split_fn = []<class T>(hana::basic_type<T>) {
    return hana::bool_c<is_split<T>>;
};

template <class... Ts>
std::string join_names() {
    std::string out;
    ((out += (out.empty() ? "" : ", ") + name_of<Ts>()), ...);
    return out;
}
//! Whether model option O of backbone B restates what B does without it.
template <class B, class O>
constexpr bool restates_default() {
    if constexpr (std::is_same_v<O, BatchNorm<EvalMode>>)
        return true;
    else if constexpr (is_head_dropout<O>)
        return O::p == B::default_head_dropout;
    else
        return false;
}
} // namespace detail

namespace rules {
//! At most one Subset<N> and one Split<f> per Load: a second would leave it ambiguous how
//! many examples are kept or held out.
template <class... Options>
inline constexpr bool one_subset = at_most_one(hana::tuple_t<Options...>,
                                               detail::is_subset_fn);
template <class... Options>
inline constexpr bool one_split = at_most_one(hana::tuple_t<Options...>,
                                              detail::is_split_fn);
//! A Subset<N> keeps at most the dataset's training examples: more would print N while
//! the run trains on fewer. Checked where the size is known at compile time
//! (D::train_size > 0); an ImageFolder's is checked once read (dsl/run_checks.hpp).
template <class D, class... Options>
inline constexpr bool subset_within_dataset = [] {
    if constexpr (dataset_spec<D>)
        return D::train_size <= 0
               || (std::int64_t{0} + ... + option_count<Options>) <= D::train_size;
    else
        return true; // not a dataset: the kind check reports it
}();
} // namespace rules

template <class D, class... Options>
struct LoadStage {
    static_assert(is_dataset<D>,
                  "pipeline: Load<D> takes a dataset (FashionMNIST, CIFAR10, "
                  "ImageFolder<...>) as its first argument");
    static_assert(
        !is_dataset<D> || dataset_spec<D>,
        "pipeline: this dataset tag lacks what a dataset declares (name(), "
        "train_size, test_size, classes, channels, height, width, mean, std); see "
        "pipeline/concepts/dataset.hpp");
    static_assert((is_load_option<Options> && ...),
                  "pipeline: Load<D, Options...> takes load options (Subset<N>, Split<f>) "
                  "after the dataset");
    static_assert(rules::one_subset<Options...>,
                  "pipeline: Load<D, ...> takes at most one Subset<N>");
    static_assert(rules::one_split<Options...>,
                  "pipeline: Load<D, ...> takes at most one Split<f>");
    static_assert(rules::subset_within_dataset<D, Options...>,
                  "pipeline: Load<D, Subset<N>> keeps more training examples than the "
                  "dataset has (FashionMNIST 60,000, CIFAR10 50,000), so the run would "
                  "train on fewer than it prints; lower N or drop Subset<N>");
    static constexpr stage_kind kind = stage_kind::load;
    using dataset = D;
    //! Training examples kept (Subset<N>), 0 for all.
    static constexpr std::int64_t subset = (std::int64_t{0} + ... + option_count<Options>);
    //! Fraction of training examples held out for validation (Split<f>), 0 for none.
    static constexpr double split = (0.0 + ... + option_fraction<Options>);
    static std::string name() {
        return "Load<" + detail::join_names<D, Options...>() + ">";
    }
};

template <class A>
struct AugmentStage {
    static_assert(is_augmentation<A>,
                  "pipeline: Augment<A> takes an augmentation; the argument is not one "
                  "(datasets go in Load<...>, backbones in Model<...>)");
    static_assert(!is_augmentation<A> || augmentation_spec<A>,
                  "pipeline: this augmentation tag lacks a name(); see "
                  "pipeline/concepts/augmentation.hpp");
    static constexpr stage_kind kind = stage_kind::augment;
    using augmentation = A;
    static std::string name() { return "Augment<" + name_of<A>() + ">"; }
};

template <class B, class... Options>
struct ModelStage {
    static_assert(is_backbone<B>,
                  "pipeline: Model<B, ...> takes a backbone (ResNet18, ResNet34, ResNet50, "
                  "MobileNetV1, MobileNetV2, MobileNetV3Small, MobileNetV3Large) as its "
                  "first argument");
    static_assert(!is_backbone<B> || backbone_spec<B>,
                  "pipeline: this backbone tag is not a complete backbone descriptor "
                  "(blocks and what they own, features, replaced_head, stem_conv, "
                  "weights_name); derive it from "
                  "backbone_descriptor and see pipeline/concepts/backbone.hpp");
    static_assert((is_model_option<Options> && ...),
                  "pipeline: Model<B, Options...> takes model options after the backbone");
    static_assert(model_options_hold<B, Options...>(),
                  "pipeline: Model<B, Options...> breaks a rule (see the error above)");
    static constexpr stage_kind kind = stage_kind::model;
    using backbone = B;
    //! Pretrained source, strictness, CifarStem, HeadDropout, as plain values.
    using settings = model_settings<B, Options...>;
    //! Frozen blocks, unfreeze epochs, learning-rate factors per block (dsl/transfer.hpp).
    using transfer = transfer_plan<B, Options...>;
    //! Canonical: an option that restates the default (`BatchNorm<EvalMode>`, a
    //! `HeadDropout<p>` equal to the backbone's own) changes nothing and is not printed, so
    //! both spellings are one experiment, with one name and one hash.
    static std::string name() {
        std::string out = "Model<" + name_of<B>();
        ((detail::restates_default<B, Options>() ? void()
                                                 : void(out += ", " + name_of<Options>())),
         ...);
        return out + ">";
    }
};

template <class L>
struct LossStage {
    static_assert(is_loss<L>,
                  "pipeline: Loss<L> takes a loss (CrossEntropy, SmoothedCE<eps>, "
                  "SoftTargetCE); "
                  "the argument is not one (backbones such as ResNet18 go in "
                  "Model<...>)");
    static_assert(!is_loss<L> || loss_spec<L>,
                  "pipeline: this loss tag lacks what a loss declares (name(), smoothing, "
                  "accepts_soft_targets); see pipeline/concepts/loss.hpp");
    static constexpr stage_kind kind = stage_kind::loss;
    using loss = L;
    static std::string name() { return "Loss<" + name_of<L>() + ">"; }
};

template <class O>
struct OptimizerStage {
    static_assert(is_optimizer<O>,
                  "pipeline: Optimizer<O> takes an optimizer (SGD, AdamW; tuned as "
                  "Optimizer<SGD, {.lr = 0.1}>); the argument is not one");
    static_assert(!is_optimizer<O> || optimizer_spec<O>,
                  "pipeline: this optimizer tag lacks what an optimizer declares (name(), "
                  "lr); see pipeline/concepts/optimizer.hpp");
    static constexpr stage_kind kind = stage_kind::optimizer;
    using optimizer = O;
    static std::string name() { return "Optimizer<" + name_of<O>() + ">"; }
};

template <class S>
struct ScheduleStage {
    static_assert(is_schedule<S>,
                  "pipeline: Schedule<S> takes a schedule (Cosine, OneCycle, Step, "
                  "Constant; tuned as Schedule<Cosine, {.warmup_epochs = 1}>); the "
                  "argument is not one");
    static_assert(!is_schedule<S> || schedule_spec<S>,
                  "pipeline: this schedule tag lacks a name(); see "
                  "pipeline/concepts/schedule.hpp");
    static constexpr stage_kind kind = stage_kind::schedule;
    using schedule = S;
    static std::string name() { return "Schedule<" + name_of<S>() + ">"; }
};

template <TrainParams P>
struct TrainStage {
    static_assert(P.epochs > 0, "pipeline: Train<{.epochs}> must be at least 1");
    static_assert(P.batch_size > 0, "pipeline: Train<{.batch_size}> must be at least 1");
    static_assert(P.eval_batch_size > 0,
                  "pipeline: Train<{.eval_batch_size}> must be at least 1");
    static_assert(P.clip_grad_norm >= 0.0,
                  "pipeline: Train<{.clip_grad_norm}> must be >= 0 (0 disables clipping)");
    static_assert(P.accumulate >= 1,
                  "pipeline: Train<{.accumulate}> must be at least 1 (1: no accumulation)");
    static_assert(P.accumulate < 1 || P.batch_size % P.accumulate == 0,
                  "pipeline: Train<{.batch_size}> must divide by Train<{.accumulate}>: "
                  "a batch runs as `accumulate` equal micro-batches");
    static_assert(P.patience >= 0,
                  "pipeline: Train<{.patience}> must be >= 0 (0: no early stopping)");
    static_assert(P.patience < P.epochs,
                  "pipeline: Train<{.patience}> must be less than Train<{.epochs}>: a run "
                  "stops after `patience` epochs without improvement, which a run of "
                  "`epochs` epochs never reaches");
    static_assert(P.min_delta >= 0.0 && P.min_delta < 1.0,
                  "pipeline: Train<{.min_delta}> is an accuracy difference, from 0 to "
                  "below 1 (0.005 is half a percentage point)");
    static_assert(P.min_delta == 0.0 || P.patience > 0,
                  "pipeline: Train<{.min_delta}> without Train<{.patience}> does nothing: "
                  "it is the improvement early stopping waits for");
    static_assert(P.keep_best >= 1 && P.keep_best <= P.epochs,
                  "pipeline: Train<{.keep_best}> must be from 1 (best.safetensors alone) "
                  "to Train<{.epochs}> (a model per epoch)");
    static constexpr stage_kind kind = stage_kind::train;
    static constexpr TrainParams params = P;
    static std::string name() {
        constexpr TrainParams d{};
        return "Train<"
               + detail::field_printer{}("epochs", P.epochs, d.epochs)(
                     "batch_size", P.batch_size,
                     d.batch_size)("eval_batch_size", P.eval_batch_size, d.eval_batch_size)(
                     "clip_grad_norm", P.clip_grad_norm,
                     d.clip_grad_norm)("accumulate", P.accumulate,
                                       d.accumulate)("patience", P.patience, d.patience)(
                     "min_delta", P.min_delta, d.min_delta)("keep_best", P.keep_best,
                                                            d.keep_best)
                     .braced()
               + ">";
    }
};

template <class P>
struct PrecisionStage {
    static_assert(is_precision<P>,
                  "pipeline: Precision<P> takes a number format: BF16, FP16 (tuned as "
                  "Precision<FP16, {.init_scale = 1024}>) or FP32");
    static constexpr stage_kind kind = stage_kind::precision;
    using format = P;
    static std::string name() { return "Precision<" + name_of<P>() + ">"; }
};

template <class... Options>
struct ExecuteStage {
    static_assert(sizeof...(Options) >= 1,
                  "pipeline: Execute<...> needs at least one option (ChannelsLast, "
                  "Deterministic, CudaGraph)");
    static_assert((is_execution_option<Options> && ...),
                  "pipeline: Execute<...> takes the options ChannelsLast, Deterministic "
                  "and CudaGraph");
    static_assert((0 + ... + (std::is_same_v<Options, ChannelsLast> ? 1 : 0)) <= 1
                      && (0 + ... + (std::is_same_v<Options, Deterministic> ? 1 : 0)) <= 1
                      && (0 + ... + (std::is_same_v<Options, CudaGraph> ? 1 : 0)) <= 1,
                  "pipeline: Execute<...> names each option once");
    static constexpr stage_kind kind = stage_kind::execute;
    static constexpr ExecutionParams params{(std::is_same_v<Options, ChannelsLast> || ...),
                                            (std::is_same_v<Options, Deterministic> || ...),
                                            (std::is_same_v<Options, CudaGraph> || ...)};
    static std::string name() {
        std::string out = "Execute<";
        ((out += name_of<Options>() + ", "), ...);
        out.resize(out.size() - 2);
        return out + ">";
    }
};

template <class T>
struct EvaluateStage {
    static_assert(detail::is_tta<T>,
                  "pipeline: Evaluate<T> takes an evaluation option: TTA<views...> "
                  "(Evaluate<TTA<HorizontalFlip>>, Evaluate<TTA<HorizontalFlip, "
                  "Shift<2>>>)");
    static constexpr stage_kind kind = stage_kind::evaluate;
    using option = T;
    static std::string name() { return "Evaluate<" + name_of<T>() + ">"; }
};

template <class S>
struct DistributedStage {
    static_assert(is_parallelism<S>,
                  "pipeline: Distributed<S> takes a parallelism strategy (DDP; tuned as "
                  "Distributed<DDP, {.bucket_mb = 50}>); the argument is not one");
    static constexpr stage_kind kind = stage_kind::distributed;
    using strategy = S;
    static std::string name() { return "Distributed<" + name_of<S>() + ">"; }
};

namespace detail {
//! A stage as it runs: a Model stage whose Frozen<...> implies Pretrained<ImageNet> gets it
//! written out (after the backbone, where it is usually written), so the printed
//! experiment never claims less than what runs; every other stage is itself.
template <class S>
struct resolved_stage {
    using type = S;
};
template <class B, class... Options>
requires(model_settings<B, Options...>::implied_pretrained) struct resolved_stage<
    ModelStage<B, Options...>> {
    using type = ModelStage<B, Pretrained<ImageNet>, Options...>;
};
} // namespace detail

//! `Load<FashionMNIST>`, `Load<FashionMNIST, Subset<20000>, Split<0.1>>`.
template <class D, class... Options>
inline constexpr LoadStage<D, Options...> Load{};

//! `Augment<HorizontalFlip>`, `Augment<RandomCrop<32, 4>>`, `Augment<MixUp>`,
//! `Augment<MixUp, {.alpha = 0.2}>`: may appear several times, applied in the order
//! written. The second argument tunes a name with defaults (dsl/tunable.hpp).
template <class A, params_type_t<A> P = params_of_v<A>>
inline constexpr AugmentStage<tuned_t<A, P>> Augment{};

//! `Model<ResNet18>`, `Model<ResNet18, Pretrained<ImageNet>, Frozen<Stem>>`;
//! `Model<ResNet18, Frozen<Stem>>` runs (and prints, resolved) as the latter.
template <class B, class... Options>
inline constexpr ModelStage<B, Options...> Model{};

//! `Loss<CrossEntropy>`, `Loss<SmoothedCE<0.1>>`.
template <class L>
inline constexpr LossStage<L> Loss{};

//! `Optimizer<SGD>`, `Optimizer<SGD, {.lr = 0.1}>`, `Optimizer<AdamW, {.lr = 3e-4}>`;
//! default `Optimizer<SGD>`.
template <class O, params_type_t<O> P = params_of_v<O>>
inline constexpr OptimizerStage<tuned_t<O, P>> Optimizer{};

//! `Schedule<Cosine>`, `Schedule<Cosine, {.warmup_epochs = 1}>`, `Schedule<Constant>`;
//! default `Schedule<Cosine>`.
template <class S, params_type_t<S> P = params_of_v<S>>
inline constexpr ScheduleStage<tuned_t<S, P>> Schedule{};

//! `Train<{.epochs = 5, .batch_size = 256}>`; default `Train<>`.
template <TrainParams P = TrainParams{}>
inline constexpr TrainStage<P> Train{};

//! `Precision<BF16>`, `Precision<FP16>`, `Precision<FP16, {.growth_interval = 1000}>`:
//! the training step and the evaluation passes under autocast (dsl/precision.hpp);
//! default float32 throughout.
template <class P, params_type_t<P> Q = params_of_v<P>>
inline constexpr PrecisionStage<tuned_t<P, Q>> Precision{};

//! `Execute<ChannelsLast>`, `Execute<ChannelsLast, Deterministic>`,
//! `Execute<ChannelsLast, CudaGraph>`: how the step executes (dsl/execution.hpp); default
//! contiguous (NCHW), eager, cuDNN benchmark mode on under CUDA.
template <class... Options>
inline constexpr ExecuteStage<Options...> Execute{};

//! `Evaluate<TTA<HorizontalFlip>>`: validation and test passes average the logits over
//! the views (dsl/evaluate.hpp); the run reports its figures with and without them.
template <class T>
inline constexpr EvaluateStage<T> Evaluate{};

//! `Distributed<DDP>`, `Distributed<DDP, {.bucket_mb = 50}>`: data-parallel training over
//! the processes a launcher started (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT). Without
//! the stage a run still goes data-parallel when WORLD_SIZE > 1, with `Distributed<DDP>`.
//! Train<{.batch_size}> is the global batch: each of W processes takes batch_size / W.
template <class S, params_type_t<S> P = params_of_v<S>>
inline constexpr DistributedStage<tuned_t<S, P>> Distributed{};

} // namespace pipeline
