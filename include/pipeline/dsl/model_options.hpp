// The options of Model<B, Options...> that shape the network and its starting weights:
// Pretrained<ImageNet> or Pretrained<File<"...">>, NonStrict, FreezeRandomInit, CifarStem,
// HeadDropout<p>. Each is a model option tag; `model_settings<B, Options...>` folds them
// into the plain values the tensor layer reads, after `check_model_options` has checked
// them. Frozen<...> without Pretrained<...> implies Pretrained<ImageNet> (a frozen block
// must hold weights something loads) unless FreezeRandomInit says otherwise. Torch-free.
#pragma once

#include <string>
#include <string_view>
#include <type_traits>

#include <boost/hana/find_if.hpp>
#include <boost/hana/optional.hpp>
#include <boost/hana/transform.hpp>

#include <pipeline/dsl/at_most_one.hpp>
#include <pipeline/dsl/backbones.hpp>
#include <pipeline/dsl/fixed_string.hpp>
#include <pipeline/dsl/tags.hpp>

namespace pipeline {

//! Where pretrained weights come from: the category of Pretrained<...>'s argument.
struct weights_source_tag {};

//! The backbone's ImageNet weights, found in the weights directory under the
//! conventional file name (`resnet18.imagenet.safetensors`, `resnet18.imagenet.pth`, ...;
//! see README).
struct ImageNet : weights_source_tag, named<"ImageNet"> {};

//! A user's own checkpoint (safetensors or a torchvision-style `.pth` state dict): an
//! absolute path, or a name inside the weights directory.
template <fixed_string Path>
struct File : weights_source_tag {
    static constexpr std::string_view path = Path.view();
    static std::string name() { return "File<\"" + std::string(path) + "\">"; }
};

//! `Model<B, Pretrained<ImageNet>>`: start from these weights; the head is always fresh.
template <class Source>
struct Pretrained : model_option_tag {
    static_assert(std::is_base_of_v<weights_source_tag, Source>,
                  "pipeline: Pretrained<S> takes a weights source (ImageNet or "
                  "File<\"path\">)");
    using source = Source;
    static std::string name() { return "Pretrained<" + Source::name() + ">"; }
};

//! Load what matches and report, by name, what stays freshly initialised (default:
//! strict, every expected tensor present with the right shape).
struct NonStrict : model_option_tag, named<"NonStrict"> {};

//! The explicit opt-in for frozen blocks that hold random weights: without
//! `Pretrained<...>`, `Frozen<...>` then freezes the random initialisation instead of
//! implying `Pretrained<ImageNet>`; with it, a frozen `Head` (never loaded) or a frozen
//! `Stem` under `CifarStem` (its conv never loaded) is allowed.
struct FreezeRandomInit : model_option_tag, named<"FreezeRandomInit"> {};

//! ResNets on 32x32 inputs: a 3x3 stride-1 first conv and no max-pool (that conv is then
//! never loaded from ImageNet weights, and the loader says so).
struct CifarStem : model_option_tag, named<"CifarStem"> {};

//! Dropout with probability p before the classifier (default: torchvision's choice, 0.2
//! for MobileNet v2/v3, none for ResNets and MobileNet v1).
template <double P>
struct HeadDropout : model_option_tag {
    static_assert(P >= 0.0 && P < 1.0, "pipeline: HeadDropout<p> needs 0 <= p < 1");
    static constexpr double p = P;
    static std::string name() { return "HeadDropout<" + detail::format_number(P) + ">"; }
};

template <class T>
inline constexpr bool is_pretrained = false;
template <class S>
inline constexpr bool is_pretrained<Pretrained<S>> = true;
//! Pretrained weights make freezing blocks meaningful (the transfer rules read this).
template <class S>
inline constexpr bool is_pretrained_option<Pretrained<S>> = true;

template <class T>
inline constexpr bool is_head_dropout = false;
template <double P>
inline constexpr bool is_head_dropout<HeadDropout<P>> = true;

namespace detail {
template <class T>
inline constexpr double head_dropout_of = 0.0;
template <double P>
inline constexpr double head_dropout_of<HeadDropout<P>> = P;

template <class T>
struct pretrained_source {
    using type = void;
};
template <class S>
struct pretrained_source<Pretrained<S>> {
    using type = S;
};

inline constexpr auto is_pretrained_fn = []<class T>(hana::basic_type<T>) {
    return hana::bool_c<is_pretrained<T>>;
};
inline constexpr auto is_head_dropout_fn = []<class T>(hana::basic_type<T>) {
    return hana::bool_c<is_head_dropout<T>>;
};

//! The source S of the first Pretrained<S> among the options as `hana::type_c<S>`,
//! `hana::type_c<void>` without one (or `ImageNet` when implied, see model_settings).
template <class... Options>
constexpr auto weights_source() {
    return hana::transform(hana::find_if(hana::tuple_t<Options...>, is_pretrained_fn),
                           hana::metafunction<pretrained_source>)
        .value_or(hana::type_c<void>);
}
} // namespace detail

namespace rules {
//! At most one Pretrained<...> and one HeadDropout<p> per Model: a second would leave it
//! ambiguous which weights load or which rate applies.
template <class... Options>
inline constexpr bool one_pretrained = at_most_one(hana::tuple_t<Options...>,
                                                   detail::is_pretrained_fn);
template <class... Options>
inline constexpr bool one_head_dropout = at_most_one(hana::tuple_t<Options...>,
                                                     detail::is_head_dropout_fn);
//! CifarStem replaces a ResNet's 7x7 stride-2 conv and max-pool; MobileNets have neither.
//! The descriptor says whether it applies (`supports_cifar_stem`).
template <class B, class... Options>
inline constexpr bool cifar_stem_fits =
    !(std::is_same_v<Options, CifarStem> || ...) || B::supports_cifar_stem;
//! Whether the options load weights: a Pretrained<...>, or Frozen<...> without one and
//! without FreezeRandomInit, which implies Pretrained<ImageNet> (the weights a frozen
//! block must hold come from somewhere, and the backbone's default weights are what
//! "freeze the stem" means in transfer learning).
template <class... Options>
inline constexpr bool implies_pretrained =
    !(is_pretrained_option<Options> || ...) && (is_freeze_option<Options> || ...)
    && !(std::is_same_v<Options, FreezeRandomInit> || ...);
template <class... Options>
inline constexpr bool loads_weights = (is_pretrained_option<Options> || ...)
                                      || implies_pretrained<Options...>;
//! NonStrict loosens loading, so without weights to load it would silently do nothing.
template <class... Options>
inline constexpr bool non_strict_needs_pretrained =
    !(std::is_same_v<Options, NonStrict> || ...) || loads_weights<Options...>;
} // namespace rules

//! Checks Model<B, Options...>'s options; a stage calls it before anything else.
template <class B, class... Options>
constexpr bool check_model_options() {
    static_assert(rules::one_pretrained<Options...>,
                  "pipeline: Model<B, ...> takes at most one Pretrained<...>");
    static_assert(rules::one_head_dropout<Options...>,
                  "pipeline: Model<B, ...> takes at most one HeadDropout<p>");
    static_assert(rules::cifar_stem_fits<B, Options...>,
                  "pipeline: CifarStem applies to ResNets only (MobileNets have no 7x7 "
                  "stride-2 stem and max-pool to replace)");
    static_assert(rules::non_strict_needs_pretrained<Options...>,
                  "pipeline: NonStrict only makes sense with Pretrained<...> (there are no "
                  "weights to load)");
    return true;
}

//! The plain values the tensor layer reads from Model<B, Options...>.
template <class B, class... Options>
struct model_settings {
    //! Frozen<...> without Pretrained<...> (and without FreezeRandomInit) loads the
    //! backbone's ImageNet weights, as if Pretrained<ImageNet> were written; the resolved
    //! pipeline (resolved_t) writes it out, so the printed experiment says so.
    static constexpr bool implied_pretrained = rules::implies_pretrained<Options...>;
    static constexpr bool pretrained =
        (is_pretrained<Options> || ...) || implied_pretrained;
    //! ImageNet, File<"...">, or void when not pretrained.
    using source =
        std::conditional_t<implied_pretrained, ImageNet,
                           typename decltype(detail::weights_source<Options...>())::type>;
    static constexpr bool strict = !(std::is_same_v<Options, NonStrict> || ...);
    static constexpr bool cifar_stem = (std::is_same_v<Options, CifarStem> || ...);
    static constexpr bool has_head_dropout = (is_head_dropout<Options> || ...);
    static constexpr double head_dropout = (0.0 + ... + detail::head_dropout_of<Options>);
};

} // namespace pipeline
