// The experiment specification: what a pipeline type amounts to, as one plain constexpr
// value, `spec_of<P>`. The typed front checks the pipeline at compile time (every rule is a
// static_assert on the type) and resolves it into this value; the core (train/, record/,
// parallel/, app/) takes the value and is compiled once, not once per pipeline, the way
// `fmt::format<Args...>` checks its arguments and hands a type-erased list to one
// `vformat`. Built-in stages are records of numbers and names; a user's own stage (a
// dataset, augmentation, backbone, loss, optimizer or schedule of their own) is a record
// whose function pointers lead to code compiled in the user's file, through the one small
// interface of its extension point (concepts/). Torch-free: the torch-side types the
// records name are only declared here.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <boost/hana/length.hpp>
#include <boost/hana/unpack.hpp>

#include <pipeline/concepts/augmentation.hpp>
#include <pipeline/concepts/backbone.hpp>
#include <pipeline/concepts/dataset.hpp>
#include <pipeline/concepts/loss.hpp>
#include <pipeline/concepts/optimizer.hpp>
#include <pipeline/concepts/schedule.hpp>
#include <pipeline/config.hpp>
#include <pipeline/dsl/augment_rules.hpp>
#include <pipeline/dsl/augmentations.hpp>
#include <pipeline/dsl/backbone.hpp>
#include <pipeline/dsl/backbones.hpp>
#include <pipeline/dsl/datasets.hpp>
#include <pipeline/dsl/describe.hpp>
#include <pipeline/dsl/execution.hpp>
#include <pipeline/dsl/experiment.hpp>
#include <pipeline/dsl/losses.hpp>
#include <pipeline/dsl/optimizers.hpp>
#include <pipeline/dsl/parallelism.hpp>
#include <pipeline/dsl/precision.hpp>
#include <pipeline/dsl/schedule_rules.hpp>
#include <pipeline/dsl/schedules.hpp>
#include <pipeline/dsl/train_params.hpp>
#include <pipeline/dsl/transfer.hpp>
#include <pipeline/error.hpp>

namespace pipeline {
struct weights_file;
} // namespace pipeline

namespace pipeline::spec {

//! The printed form of a vocabulary type or stage (`ResNet18`, `Load<CIFAR10>`).
using name_function = std::string (*)();
//! A list of file names (a backbone's weights files).
using names_function = std::vector<std::string> (*)();

//! Load<D, Options...>: the dataset, what its type fixes, and the Load options.
enum class dataset_kind { fashion_mnist, cifar10, image_folder, custom };

struct dataset {
    dataset_kind kind = dataset_kind::custom;
    name_function name = nullptr;
    //! `Load<D, Options...>` as printed.
    name_function stage_name = nullptr;
    //! The official splits' sizes, 0 where known only once read.
    std::int64_t train_size = 0;
    std::int64_t test_size = 0;
    int classes = 0;
    int channels = 0;
    //! The images' side, 0 where known only once read.
    int height = 0;
    int width = 0;
    std::span<double const> mean;
    std::span<double const> std;
    //! Where the type names its classes (empty for an ImageFolder: its folders do).
    std::span<std::string_view const> class_names;
    //! ImageFolder<"folder", {...}>.
    std::string_view folder;
    ImageFolderParams folder_params;
    //! Subset<N> (0: all) and Split<f> (0: none).
    std::int64_t subset = 0;
    double split = 0.0;
    //! A user's dataset: its loader (dataset_loader<D>), compiled in the user's file.
    std::filesystem::path (*locate)(std::optional<std::filesystem::path> const&) = nullptr;
    dataset_splits (*load)(std::filesystem::path const&) = nullptr;
    //! Header-only: the built-in loader of this kind (see "what the type names" below).
    std::filesystem::path (*builtin_locate)(
        dataset const&, std::optional<std::filesystem::path> const&) = nullptr;
    dataset_splits (*builtin_load)(dataset const&, std::filesystem::path const&) = nullptr;
};

//! One Augment<A> stage.
enum class augmentation_kind {
    random_crop,
    horizontal_flip,
    cutout,
    resize,
    normalize,
    mixing,
    custom
};

struct augmentation {
    augmentation_kind kind = augmentation_kind::custom;
    name_function name = nullptr;
    //! RandomCrop's, Cutout's and Resize's side; RandomCrop's padding.
    int size = 0;
    int pad = 0;
    Padding padding = Padding::reflect;
    //! Normalize's statistics (count 0: the dataset's or the weights').
    channel_values mean;
    channel_values std;
    //! MixUp, CutMix, MixUpCutMix.
    MixParams mixing;
    //! A user's augmentation (augmentation_impl<A>), compiled in the user's file.
    std::unique_ptr<augmentation_op> (*make)() = nullptr;
    //! Header-only: the built-in operation of this kind.
    std::unique_ptr<augmentation_op> (*builtin_make)(augmentation const&) = nullptr;
};

//! One block of a backbone: its name and the state-dict prefixes of what it owns.
struct block {
    std::string_view name;
    std::span<std::string_view const> prefixes;
};

//! A backbone descriptor's facts (dsl/backbone.hpp), and what its family's module needs.
enum class backbone_family { resnet, mobilenet_v1, mobilenet_v2, mobilenet_v3, custom };

struct backbone {
    backbone_family family = backbone_family::custom;
    name_function name = nullptr;
    std::span<block const> blocks;
    int features = 0;
    std::string_view replaced_head;
    std::string_view stem_conv;
    double default_head_dropout = 0.0;
    std::string_view weights_name;
    input_statistics statistics{};
    names_function imagenet_files = nullptr;
    names_function torchvision_files = nullptr;
    names_function hf_repos = nullptr;
    //! ResNets: residual blocks per stage, and whether they are bottlenecks.
    std::array<int, 4> layers{};
    bool bottleneck = false;
    //! MobileNet v3: torchvision's table of inverted residuals.
    std::span<mobilenet_v3_block const> inverted_residuals;
    //! A user's backbone (backbone_builder<B>), compiled in the user's file.
    std::unique_ptr<backbone_network> (*make)(model_config const&) = nullptr;
    //! Header-only: the module of this built-in family.
    std::unique_ptr<backbone_network> (*builtin_make)(backbone const&,
                                                      model_config const&) = nullptr;
};

//! Model<B, Options...>: the backbone, its starting weights, its shape, and the transfer
//! plan (per block, in the backbone's order: the first epoch it trains, its rate factor).
enum class weights_source { none, imagenet, file };

struct model {
    spec::backbone backbone;
    name_function stage_name = nullptr;
    weights_source weights = weights_source::none;
    //! `ImageNet` or `File<"...">` as printed; File's path.
    name_function weights_name = nullptr;
    std::string_view weights_file;
    //! Frozen<...> without Pretrained<...> implied Pretrained<ImageNet>.
    bool implied_pretrained = false;
    bool strict = true;
    bool cifar_stem = false;
    //! HeadDropout<p>'s, or the backbone's default.
    double head_dropout = 0.0;
    std::span<int const> trainable_from;
    std::span<double const> lr_factor;
    //! `trainable_from` of a block that never trains.
    int never = 0;
    bool bn_train_when_frozen = false;
    double ema_decay = 0.0;
    double layer_decay = 0.0;
    //! The latest Unfreeze epoch, 0 without any.
    int last_unfreeze = 0;
    //! Header-only: the reader of this weights source (none: no weights to read).
    std::optional<pipeline::weights_file> (*builtin_weights)(
        model const&, std::optional<std::filesystem::path> const&) = nullptr;
};

//! Loss<L>: the cross-entropy family (CrossEntropy, SoftTargetCE, SmoothedCE<eps>) is
//! numbers; a user's loss is its loss_function<L>.
enum class loss_kind { cross_entropy, custom };

struct loss {
    loss_kind kind = loss_kind::custom;
    name_function name = nullptr;
    double smoothing = 0.0;
    bool accepts_soft_targets = false;
    std::unique_ptr<loss_op> (*make)() = nullptr;
};

//! Optimizer<O>.
enum class optimizer_kind { sgd, adamw, custom };

struct optimizer {
    optimizer_kind kind = optimizer_kind::custom;
    name_function name = nullptr;
    double lr = 0.0;
    //! What the plan prints as the decaying groups' weight decay.
    double weight_decay = 0.0;
    SgdParams sgd;
    AdamWParams adamw;
    built_optimizer (*make)(std::vector<block_parameters> const&,
                            std::optional<bool>) = nullptr;
    //! Header-only: the built-in optimizer of this kind.
    built_optimizer (*builtin_make)(optimizer const&, std::vector<block_parameters> const&,
                                    std::optional<bool>) = nullptr;
};

//! Schedule<S>: a closed form of the step (train/schedule.hpp).
enum class schedule_kind { constant, cosine, one_cycle, step, custom };

struct schedule {
    schedule_kind kind = schedule_kind::custom;
    name_function name = nullptr;
    CosineParams cosine;
    OneCycleParams one_cycle;
    StepParams step;
    //! A warm-up in epochs (Cosine's, Step's), 0 without one; Step's decay period.
    double warmup_epochs = 0.0;
    int decay_every = 0;
    //! A user's schedule: schedule_formula<S>::lr.
    double (*lr)(double, schedule_clock const&) = nullptr;
};

//! The whole experiment.
struct experiment {
    //! The printed, resolved pipeline: what every run records as its experiment.
    name_function describe = nullptr;
    spec::dataset data;
    std::span<augmentation const> augmentations;
    spec::model model;
    spec::loss loss;
    spec::optimizer optimizer;
    spec::schedule schedule;
    TrainParams train;
    //! The number format of a Precision<...> stage (float32 without one).
    PrecisionParams precision;
    //! The options of an Execute<...> stage (contiguous, cuDNN benchmark on, without one).
    ExecutionParams execution;
    //! The views of an Evaluate<TTA<...>> stage (none without one).
    TtaParams tta;
    //! A Distributed<...> stage, and its settings (DDP's defaults without one).
    bool distributed = false;
    DdpParams ddp;
};

} // namespace pipeline::spec

// --- what the type names ---------------------------------------------------------
// Header-only, the core's definitions are compiled in the experiment's own file, and a
// core that switched on the records' kinds would compile every reader, image decoder,
// backbone family, augmentation, optimizer and weights format there. So the records of
// built-in stages carry pointers to the code of their own kind, instantiated from these
// templates (defined beside that code: data/impl/load.ipp, models/backbone.hpp,
// augment/augmenter.hpp, train/optimizer.hpp, models/impl/model.ipp), and the file
// compiles what its type names. With the compiled core the pointers stay null: the core
// is compiled once and switches on the kinds.
//
// The declarations are weak references: a torch-free file (one that includes only the
// type layer, as tests/dsl do) may read `spec_of<P>` at run time, and its records then
// point at code it never defines. The link resolves each pointer to the definition any
// other file of the program instantiates (every file that runs an experiment does), and
// to null where none does, which `detail::named_code` reports if the core is ever asked
// to run such a record.
namespace pipeline::builtin {

template <spec::dataset_kind K>
PIPELINE_WEAK_REFERENCE std::filesystem::path
locate(spec::dataset const& d, std::optional<std::filesystem::path> const& given);
template <spec::dataset_kind K>
PIPELINE_WEAK_REFERENCE dataset_splits load(spec::dataset const& d,
                                            std::filesystem::path const& dir);
template <spec::augmentation_kind K>
PIPELINE_WEAK_REFERENCE std::unique_ptr<augmentation_op>
make_augmentation(spec::augmentation const& a);
template <spec::backbone_family F>
PIPELINE_WEAK_REFERENCE std::unique_ptr<backbone_network>
make_network(spec::backbone const& b, model_config const& config);
template <spec::weights_source S>
PIPELINE_WEAK_REFERENCE std::optional<weights_file>
pretrained_weights(spec::model const& m, std::optional<std::filesystem::path> const& dir);
template <spec::optimizer_kind K>
PIPELINE_WEAK_REFERENCE built_optimizer
make_optimizer(spec::optimizer const& o, std::vector<block_parameters> const& blocks,
               std::optional<bool> multi_tensor);

} // namespace pipeline::builtin

namespace pipeline {

//! Whether the records name their built-in code (header-only) or leave it to the core's
//! switches (the compiled core).
#if defined(PIPELINE_HEADER_ONLY)
inline constexpr bool records_name_their_code = true;
#else
inline constexpr bool records_name_their_code = false;
#endif

namespace detail {
//! Header-only: the code a record names, or an error when it names none (a record built
//! by hand rather than by `spec_of<P>` / `model_spec_of<M>`).
template <class F>
F named_code(F code, char const* what) {
    if (code == nullptr)
        throw error(std::string("a specification record (") + what + ")",
                    "the built-in code spec_of<P> or model_spec_of<M> names in it "
                    "(header-only, a record built by hand names none)",
                    "none");
    return code;
}
} // namespace detail

namespace detail {

template <class T>
std::string printed_name() {
    return std::string(T::name());
}

template <class P>
std::string printed_pipeline() {
    return describe(P{});
}

template <class B>
std::vector<std::string> imagenet_files_of() {
    if constexpr (requires { B::imagenet_files(); })
        return B::imagenet_files();
    else
        return imagenet_file_names(B::weights_name);
}
template <class B>
std::vector<std::string> torchvision_files_of() {
    return B::torchvision_files();
}
template <class B>
std::vector<std::string> hf_repos_of() {
    return B::hf_repos();
}

// --- datasets --------------------------------------------------------------------
template <class D>
inline constexpr spec::dataset_kind dataset_kind_of = spec::dataset_kind::custom;
template <>
inline constexpr spec::dataset_kind dataset_kind_of<FashionMNIST> =
    spec::dataset_kind::fashion_mnist;
template <>
inline constexpr spec::dataset_kind dataset_kind_of<CIFAR10> = spec::dataset_kind::cifar10;
template <fixed_string Name, ImageFolderParams P>
inline constexpr spec::dataset_kind dataset_kind_of<ImageFolder<Name, P>> =
    spec::dataset_kind::image_folder;

template <class Load>
constexpr spec::dataset dataset_record() {
    using D = typename Load::dataset;
    spec::dataset r;
    r.kind = dataset_kind_of<D>;
    r.name = &printed_name<D>;
    r.stage_name = &printed_name<Load>;
    r.train_size = D::train_size;
    r.test_size = D::test_size;
    r.classes = D::classes;
    r.channels = D::channels;
    r.height = D::height;
    r.width = D::width;
    r.mean = D::mean;
    r.std = D::std;
    if constexpr (requires { D::class_names; })
        r.class_names = D::class_names;
    if constexpr (dataset_kind_of<D> == spec::dataset_kind::image_folder) {
        r.folder = D::folder;
        r.folder_params = D::params;
    }
    r.subset = Load::subset;
    r.split = Load::split;
    if constexpr (dataset_kind_of<D> == spec::dataset_kind::custom) {
        static_assert(loadable_dataset<D>,
                      "pipeline: no dataset_loader<D> for this dataset; include its data/ "
                      "header (concepts/dataset.hpp says what a loader provides)");
        static_assert(
            requires { sizeof(erased_dataset<D>); },
            "pipeline: a dataset of your own needs the tensor side of its "
            "extension point: #include <pipeline/extend.hpp> where you define "
            "dataset_loader<D>");
        r.locate = &erased_dataset<D>::locate;
        r.load = &erased_dataset<D>::load;
    } else if constexpr (records_name_their_code) {
        r.builtin_locate = &builtin::locate<dataset_kind_of<D>>;
        r.builtin_load = &builtin::load<dataset_kind_of<D>>;
    }
    return r;
}

// --- augmentations ---------------------------------------------------------------
//! Sets `r`'s kind to built-in K and, header-only, its code (a mixing stage has none: it
//! runs in mix()).
template <spec::augmentation_kind K>
constexpr void builtin_kind(spec::augmentation& r) {
    r.kind = K;
    if constexpr (records_name_their_code && K != spec::augmentation_kind::mixing)
        r.builtin_make = &builtin::make_augmentation<K>;
}

template <class A>
constexpr spec::augmentation augmentation_record() {
    spec::augmentation r;
    r.name = &printed_name<A>;
    if constexpr (is_random_crop<A>) {
        builtin_kind<spec::augmentation_kind::random_crop>(r);
        r.size = A::size;
        r.pad = A::pad;
        r.padding = A::padding;
    } else if constexpr (std::is_same_v<A, HorizontalFlip>) {
        builtin_kind<spec::augmentation_kind::horizontal_flip>(r);
    } else if constexpr (is_cutout<A>) {
        builtin_kind<spec::augmentation_kind::cutout>(r);
        r.size = A::size;
    } else if constexpr (is_resize<A>) {
        builtin_kind<spec::augmentation_kind::resize>(r);
        r.size = A::size;
    } else if constexpr (is_normalize<A>) {
        builtin_kind<spec::augmentation_kind::normalize>(r);
        r.mean = A::mean;
        r.std = A::std;
    } else if constexpr (is_mixing<A>) {
        builtin_kind<spec::augmentation_kind::mixing>(r);
        r.mixing = A::mixing;
    } else {
        static_assert(implemented_augmentation<A>,
                      "pipeline: Augment<A> names an augmentation of your own without its "
                      "tensor side; specialise augmentation_impl<A> (train, eval: see "
                      "pipeline/concepts/augmentation.hpp)");
        static_assert(
            requires { sizeof(erased_augmentation<A>); },
            "pipeline: an augmentation of your own needs the tensor side of its "
            "extension point: #include <pipeline/extend.hpp> where you define "
            "augmentation_impl<A>");
        r.kind = spec::augmentation_kind::custom;
        r.make = &erased_augmentation<A>::make;
    }
    return r;
}

template <class... A>
constexpr auto augmentation_records(hana::basic_type<A>...) {
    return std::array<spec::augmentation, sizeof...(A)>{augmentation_record<A>()...};
}

template <class P>
inline constexpr auto
    augmentation_table = hana::unpack(augmentations_t<P>{},
                                      [](auto... a) { return augmentation_records(a...); });

// --- backbones and models --------------------------------------------------------
template <class B>
inline constexpr spec::backbone_family family_of = spec::backbone_family::custom;
template <class B>
requires std::same_as<typename B::family, resnet_family>
inline constexpr spec::backbone_family family_of<B> = spec::backbone_family::resnet;
template <class B>
requires std::same_as<typename B::family, mobilenet_v1_family>
inline constexpr spec::backbone_family family_of<B> = spec::backbone_family::mobilenet_v1;
template <class B>
requires std::same_as<typename B::family, mobilenet_v2_family>
inline constexpr spec::backbone_family family_of<B> = spec::backbone_family::mobilenet_v2;
template <class B>
requires std::same_as<typename B::family, mobilenet_v3_family>
inline constexpr spec::backbone_family family_of<B> = spec::backbone_family::mobilenet_v3;

template <fixed_string Name, class Family, class... Owned>
constexpr auto blocks_of(backbone_descriptor<Name, Family, Owned...> const*) {
    return std::array<spec::block, sizeof...(Owned)>{
        spec::block{Owned::block::word, Owned::prefixes}...};
}

//! Backbone B's blocks and what each owns, from its `owns<Block, "prefix."...>` list.
template <class B>
inline constexpr auto block_table = blocks_of(static_cast<B const*>(nullptr));

template <class B>
constexpr spec::backbone backbone_record() {
    spec::backbone r;
    r.family = family_of<B>;
    r.name = &printed_name<B>;
    r.blocks = block_table<B>;
    r.features = B::features;
    r.replaced_head = B::replaced_head;
    r.stem_conv = B::stem_conv;
    r.default_head_dropout = B::default_head_dropout;
    r.weights_name = B::weights_name;
    r.statistics = B::statistics;
    r.imagenet_files = &imagenet_files_of<B>;
    r.torchvision_files = &torchvision_files_of<B>;
    r.hf_repos = &hf_repos_of<B>;
    if constexpr (family_of<B> == spec::backbone_family::resnet) {
        r.layers = B::layers;
        r.bottleneck = B::bottleneck;
    } else if constexpr (family_of<B> == spec::backbone_family::mobilenet_v3) {
        r.inverted_residuals = B::table;
    } else if constexpr (family_of<B> == spec::backbone_family::custom) {
        static_assert(buildable_backbone<B>,
                      "pipeline: Model<B> names a backbone of your own without a module: "
                      "specialise backbone_builder<B> for its family (make(model_config); "
                      "see pipeline/concepts/backbone.hpp)");
        static_assert(
            requires { sizeof(erased_backbone<B>); },
            "pipeline: a backbone of your own needs the tensor side of its "
            "extension point: #include <pipeline/extend.hpp> where you define "
            "backbone_builder<B>");
        r.make = &erased_backbone<B>::make;
    }
    if constexpr (records_name_their_code && family_of<B> != spec::backbone_family::custom)
        r.builtin_make = &builtin::make_network<family_of<B>>;
    return r;
}

template <class M>
constexpr spec::model model_record() {
    using B = typename M::backbone;
    using S = typename M::settings;
    using Plan = typename M::transfer;
    spec::model r;
    r.backbone = backbone_record<B>();
    r.stage_name = &printed_name<M>;
    if constexpr (S::pretrained) {
        using Source = typename S::source;
        constexpr auto source = std::is_same_v<Source, ImageNet>
                                    ? spec::weights_source::imagenet
                                    : spec::weights_source::file;
        r.weights = source;
        if constexpr (records_name_their_code)
            r.builtin_weights = &builtin::pretrained_weights<source>;
        r.weights_name = &printed_name<Source>;
        if constexpr (!std::is_same_v<Source, ImageNet>)
            r.weights_file = Source::path;
    }
    r.implied_pretrained = S::implied_pretrained;
    r.strict = S::strict;
    r.cifar_stem = S::cifar_stem;
    // The one place the descriptor's default dropout is resolved.
    r.head_dropout = S::has_head_dropout ? S::head_dropout : B::default_head_dropout;
    r.trainable_from = Plan::trainable_from;
    r.lr_factor = Plan::lr_factor;
    r.never = Plan::never;
    r.bn_train_when_frozen = Plan::bn_train_when_frozen;
    r.ema_decay = Plan::ema_decay;
    r.layer_decay = Plan::layer_decay;
    r.last_unfreeze = Plan::last_unfreeze;
    return r;
}

// --- loss, optimizer, schedule ---------------------------------------------------
template <class L>
inline constexpr bool builtin_loss = false;
template <>
inline constexpr bool builtin_loss<CrossEntropy> = true;
template <>
inline constexpr bool builtin_loss<SoftTargetCE> = true;
template <double Eps>
inline constexpr bool builtin_loss<SmoothedCE<Eps>> = true;

template <class L>
constexpr spec::loss loss_record() {
    spec::loss r;
    r.name = &printed_name<L>;
    r.smoothing = L::smoothing;
    r.accepts_soft_targets = L::accepts_soft_targets;
    if constexpr (builtin_loss<L>) {
        r.kind = spec::loss_kind::cross_entropy;
    } else {
        static_assert(
            requires { sizeof(erased_loss<L>); },
            "pipeline: a loss of your own needs the tensor side of its extension "
            "point: #include <pipeline/extend.hpp> where you define "
            "loss_function<L> (see pipeline/concepts/loss.hpp)");
        r.kind = spec::loss_kind::custom;
        r.make = &erased_loss<L>::make;
    }
    return r;
}

template <class O>
inline constexpr spec::optimizer_kind optimizer_kind_of = spec::optimizer_kind::custom;
template <SgdParams P>
inline constexpr spec::optimizer_kind optimizer_kind_of<detail::sgd<P>> =
    spec::optimizer_kind::sgd;
template <AdamWParams P>
inline constexpr spec::optimizer_kind optimizer_kind_of<detail::adamw<P>> =
    spec::optimizer_kind::adamw;

template <class O>
constexpr spec::optimizer optimizer_record() {
    spec::optimizer r;
    r.kind = optimizer_kind_of<O>;
    r.name = &printed_name<O>;
    r.lr = O::lr;
    if constexpr (optimizer_kind_of<O> == spec::optimizer_kind::sgd) {
        r.sgd = O::params;
        r.weight_decay = O::params.weight_decay;
    } else if constexpr (optimizer_kind_of<O> == spec::optimizer_kind::adamw) {
        r.adamw = O::params;
        r.weight_decay = O::params.weight_decay;
    } else {
        static_assert(implemented_optimizer<O>,
                      "pipeline: Optimizer<O> names an optimizer of your own without its "
                      "tensor side; specialise optimizer_builder<O> (weight_decay, make: "
                      "see pipeline/concepts/optimizer.hpp)");
        static_assert(
            requires { sizeof(erased_optimizer<O>); },
            "pipeline: an optimizer of your own needs the tensor side of its "
            "extension point: #include <pipeline/extend.hpp> where you define "
            "optimizer_builder<O>");
        r.weight_decay = optimizer_builder<O>::weight_decay;
        r.make = &erased_optimizer<O>::make;
    }
    if constexpr (records_name_their_code
                  && optimizer_kind_of<O> != spec::optimizer_kind::custom)
        r.builtin_make = &builtin::make_optimizer<optimizer_kind_of<O>>;
    return r;
}

template <class S>
inline constexpr spec::schedule_kind schedule_kind_of = spec::schedule_kind::custom;
template <>
inline constexpr spec::schedule_kind schedule_kind_of<Constant> =
    spec::schedule_kind::constant;
template <CosineParams P>
inline constexpr spec::schedule_kind schedule_kind_of<detail::cosine<P>> =
    spec::schedule_kind::cosine;
template <OneCycleParams P>
inline constexpr spec::schedule_kind schedule_kind_of<detail::one_cycle<P>> =
    spec::schedule_kind::one_cycle;
template <StepParams P>
inline constexpr spec::schedule_kind schedule_kind_of<detail::step_decay<P>> =
    spec::schedule_kind::step;

template <class S>
constexpr spec::schedule schedule_record() {
    spec::schedule r;
    r.kind = schedule_kind_of<S>;
    r.name = &printed_name<S>;
    r.warmup_epochs = warmup_epochs_of<S>();
    r.decay_every = decay_every_of<S>();
    if constexpr (schedule_kind_of<S> == spec::schedule_kind::cosine)
        r.cosine = S::params;
    else if constexpr (schedule_kind_of<S> == spec::schedule_kind::one_cycle)
        r.one_cycle = S::params;
    else if constexpr (schedule_kind_of<S> == spec::schedule_kind::step)
        r.step = S::params;
    if constexpr (schedule_kind_of<S> == spec::schedule_kind::custom) {
        static_assert(implemented_schedule<S>,
                      "pipeline: Schedule<S> names a schedule of your own without its "
                      "formula; specialise schedule_formula<S> (static double lr(double "
                      "base_lr, schedule_clock const&): see "
                      "pipeline/concepts/schedule.hpp)");
        r.lr = &scheduled_by_formula<S>;
    }
    return r;
}

//! The specification of resolved pipeline P.
template <class P>
constexpr spec::experiment make_spec() {
    using X = experiment_types<P>;
    spec::experiment e;
    e.describe = &printed_pipeline<P>;
    e.data = dataset_record<typename X::load>();
    e.augmentations = augmentation_table<P>;
    e.model = model_record<typename X::model>();
    e.loss = loss_record<typename X::loss>();
    e.optimizer = optimizer_record<typename X::optimizer>();
    e.schedule = schedule_record<typename X::schedule>();
    e.train = X::train;
    e.precision = X::precision;
    e.execution = X::execution;
    e.tta = X::tta;
    e.distributed = X::distributed;
    e.ddp = X::ddp;
    return e;
}

} // namespace detail

//! The Model record of a Model stage type (`decltype(Model<ResNet18, Frozen<Stem>>)`),
//! for building and controlling a model outside a run: `make_model`, `transfer_controller`.
template <class M>
inline constexpr spec::model model_spec_of = detail::model_record<std::remove_cv_t<M>>();

//! The specification of pipeline P (its resolved form: defaults filled in), a constexpr
//! value the compiled core runs. Valid pipelines only: the front checks `validate(p)`
//! first, so a broken pipeline stops at its rule's message.
//!
//!     constexpr auto p = Load<FashionMNIST>
//!                      | Model<ResNet18>
//!                      | Loss<CrossEntropy>;
//!     static_assert(spec_of<decltype(p)>.model.backbone.blocks.size() == 6);
template <class P>
inline constexpr spec::experiment spec_of = detail::make_spec<resolved_t<P>>();

} // namespace pipeline
