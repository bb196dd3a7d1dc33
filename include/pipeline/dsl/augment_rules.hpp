// The rules that tie Augment stages to the rest of a pipeline: where Normalize and the
// mixing stages go, that crops fit the images they receive (sizes are known at compile
// time), that soft targets meet a loss that accepts them, and that label smoothing is
// applied exactly once. Each rule is a trait (`pipeline::rules::...`) and a static_assert
// in `validate_augmentation`, which `validate` calls. Torch-free.
#pragma once

#include <type_traits>

#include <boost/hana/all_of.hpp>
#include <boost/hana/count_if.hpp>
#include <boost/hana/drop_back.hpp>
#include <boost/hana/drop_front.hpp>
#include <boost/hana/filter.hpp>
#include <boost/hana/for_each.hpp>
#include <boost/hana/none_of.hpp>
#include <boost/hana/transform.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>
#include <boost/hana/unpack.hpp>

#include <pipeline/concepts/augmentation.hpp>
#include <pipeline/dsl/at_most_one.hpp>
#include <pipeline/dsl/augmentations.hpp>
#include <pipeline/dsl/losses.hpp>
#include <pipeline/dsl/pipeline.hpp>

namespace pipeline {

namespace detail {
inline constexpr auto is_mixing_fn = []<class A>(hana::basic_type<A>) {
    return hana::bool_c<is_mixing<A>>;
};
inline constexpr auto is_normalize_fn = []<class A>(hana::basic_type<A>) {
    return hana::bool_c<is_normalize<A>>;
};

//! The augmentations of a pipeline's Augment stages, in the order written, as a Hana
//! tuple of types.
template <class... S>
constexpr auto augmentations_of(Pipeline<S...>) {
    return hana::transform(
        hana::filter(hana::tuple_t<S...>, is_kind<stage_kind::augment>),
        []<class A>(hana::basic_type<AugmentStage<A>>) { return hana::type_c<A>; });
}

template <class S>
struct loss_of {
    using type = CrossEntropy; // no Loss stage: the has_loss rule reports it
};
template <class L>
struct loss_of<LossStage<L>> {
    using type = L;
};
template <class S>
struct dataset_of {
    using type = void;
};
template <class D, class... O>
struct dataset_of<LoadStage<D, O...>> {
    using type = D;
};

template <class A>
constexpr double mixing_smoothing() {
    if constexpr (is_mixing<A>)
        return A::mixing.smoothing;
    else
        return 0.0;
}

template <class A>
constexpr int normalize_channel_count() {
    if constexpr (is_normalize<A>)
        return A::mean.count;
    else
        return 0;
}

//! What `first_oversized` looks for: a RandomCrop larger than its input, a Cutout larger
//! than its input, or a RandomCrop whose reflect padding is not smaller than its input
//! (reflection needs pad < side).
enum class size_check { crop, cutout, reflect_pad };

//! The image side each stage receives, checked stage by stage: 0 all fit, otherwise
//! 1 + the index of the first stage that `check` finds too large for its input.
template <size_check check, class Augs>
constexpr int first_oversized(Augs const& augs, int height, int width) {
    // A side of 0 is not known before loading (ImageFolder without a resize).
    if (height <= 0 || width <= 0)
        height = width = 1 << 30;
    int index = 0;
    int found = 0;
    hana::for_each(augs, [&]<class X>(hana::basic_type<X>) {
        if (found)
            return;
        if constexpr (is_random_crop<X>) {
            if (check == size_check::crop && (X::size > height || X::size > width))
                found = index + 1;
            if (check == size_check::reflect_pad && X::padding == Padding::reflect
                && X::pad > 0 && (X::pad >= height || X::pad >= width))
                found = index + 1;
        } else if constexpr (is_cutout<X>) {
            if (check == size_check::cutout && (X::size > height || X::size > width))
                found = index + 1;
        }
        // Any stage that declares the side it outputs (RandomCrop, Resize, one of your
        // own: concepts/augmentation.hpp) sets what the next stage receives.
        if constexpr (output_size_of<X>() > 0)
            height = width = output_size_of<X>();
        ++index;
    });
    return found;
}

//! What the rules ask of a pipeline's augmentations `Augs` (a Hana tuple of types), with
//! D its dataset (void without a Load stage).
template <class D, class Augs>
struct augment_facts {
    static constexpr Augs augs{};
    static constexpr int mixings = hana::count_if(augs, is_mixing_fn);
    //! No mixing stage before the last one, no Normalize after the first one.
    static constexpr bool mixing_last = hana::none_of(hana::drop_back(augs), is_mixing_fn);
    static constexpr bool normalize_first =
        hana::none_of(hana::drop_front(augs), is_normalize_fn);
    static constexpr double smoothing =
        hana::unpack(augs, []<class... A>(hana::basic_type<A>...) {
            return (0.0 + ... + mixing_smoothing<A>());
        });
    static constexpr bool normalize_channels = [] {
        if constexpr (std::is_void_v<D>)
            return true;
        else
            return hana::all_of(augs, []<class A>(hana::basic_type<A>) {
                return hana::bool_c<(normalize_channel_count<A>() == 0
                                     || normalize_channel_count<A>() == D::channels)>;
            });
    }();
    template <size_check check>
    static constexpr int first_too_large() {
        if constexpr (std::is_void_v<D>)
            return 0;
        else
            return first_oversized<check>(augs, D::height, D::width);
    }
    static constexpr int oversized_crop = first_too_large<size_check::crop>();
    static constexpr int oversized_cutout = first_too_large<size_check::cutout>();
    static constexpr int overpadded_crop = first_too_large<size_check::reflect_pad>();
};

template <class P>
struct pipeline_parts;
template <class... S>
struct pipeline_parts<Pipeline<S...>> {
    using augmentations = decltype(augmentations_of(Pipeline<S...>{}));
    using loss = typename loss_of<stage_t<stage_kind::loss, Pipeline<S...>>>::type;
    using dataset = typename dataset_of<stage_t<stage_kind::load, Pipeline<S...>>>::type;
    using facts = augment_facts<dataset, augmentations>;
    static constexpr int batch_size =
        stage_t<stage_kind::train, resolved_t<Pipeline<S...>>>::params.batch_size;
};

} // namespace detail

//! The augmentations of a pipeline, in the order written, as the type of a Hana tuple of
//! types: `augmentations_t<P>{} == hana::tuple_t<RandomCrop<32, 4>, HorizontalFlip>`.
template <class P>
using augmentations_t = typename detail::pipeline_parts<P>::augmentations;

namespace rules {

template <class P>
using augment_facts_t = typename detail::pipeline_parts<P>::facts;

//! At most one mixing stage (MixUp, CutMix, MixUpCutMix).
template <class P>
inline constexpr bool one_mixing = at_most_one(augmentations_t<P>{}, detail::is_mixing_fn);

//! Mixing is the last Augment stage.
template <class P>
inline constexpr bool mixing_last = augment_facts_t<P>::mixing_last;

//! Normalize appears at most once, as the first Augment stage.
template <class P>
inline constexpr bool one_normalize = at_most_one(augmentations_t<P>{},
                                                  detail::is_normalize_fn);
template <class P>
inline constexpr bool normalize_first = augment_facts_t<P>::normalize_first;

//! Normalize's statistics have one value per channel of the dataset.
template <class P>
inline constexpr bool normalize_channels = augment_facts_t<P>::normalize_channels;

//! Every RandomCrop (and Cutout) fits the images it receives.
template <class P>
inline constexpr bool crop_fits = augment_facts_t<P>::oversized_crop == 0;
template <class P>
inline constexpr bool cutout_fits = augment_facts_t<P>::oversized_cutout == 0;

//! A RandomCrop's reflect padding is smaller than the images it receives (reflection
//! mirrors pixels inside the image, so it needs pad < side; the tensor side would throw).
template <class P>
inline constexpr bool reflect_pad_fits = augment_facts_t<P>::overpadded_crop == 0;

//! A mixing stage has a partner for each example: with Train<{.batch_size = 1}> every
//! example is mixed with itself, which changes nothing.
template <class P>
inline constexpr bool mixing_has_partner =
    augment_facts_t<P>::mixings == 0 || detail::pipeline_parts<P>::batch_size >= 2;

//! Soft targets (any mixing stage) meet a loss that accepts them.
template <class P>
inline constexpr bool soft_targets_accepted =
    augment_facts_t<P>::mixings == 0
    || detail::pipeline_parts<P>::loss::accepts_soft_targets;

//! Label smoothing in the mixed targets and in the loss would smooth twice.
template <class P>
inline constexpr bool smoothing_once = augment_facts_t<P>::smoothing == 0.0
                                       || detail::pipeline_parts<P>::loss::smoothing == 0.0;

//! All augmentation rules.
template <class P>
inline constexpr bool augmentation_valid =
    one_mixing<P>&& mixing_last<P>&& one_normalize<P>&& normalize_first<P>&&
        normalize_channels<P>&& crop_fits<P>&& cutout_fits<P>&& reflect_pad_fits<P>&&
            mixing_has_partner<P>&& soft_targets_accepted<P>&& smoothing_once<P>;

} // namespace rules

//! Checks the augmentation rules; the first one broken stops compilation with its message.
template <class... S>
constexpr bool validate_augmentation(Pipeline<S...>) {
    using P = Pipeline<S...>;
    // Two mixing stages would mix mixed images and weight targets twice.
    static_assert(rules::one_mixing<P>,
                  "pipeline: two mixing stages (MixUp, CutMix, MixUpCutMix); to choose "
                  "between MixUp and CutMix per example as timm does, write one "
                  "Augment<MixUpCutMix, {.mixup_alpha = 0.8, .cutmix_alpha = 1.0, "
                  ".switch_prob = 0.5}>");
    // A crop or cutout after CutMix would change the pasted area the targets are
    // weighted by.
    static_assert(rules::mixing_last<P>,
                  "pipeline: MixUp/CutMix must be the last Augment stage (a pixel "
                  "augmentation after mixing would change the areas the soft targets are "
                  "weighted by)");
    static_assert(rules::one_normalize<P>,
                  "pipeline: two Normalize stages; images are normalised once, as each "
                  "batch is gathered");
    // Normalisation happens at the gather; writing it later would misstate the order.
    static_assert(rules::normalize_first<P>,
                  "pipeline: Normalize<...> must be the first Augment stage (images are "
                  "normalised as each batch is gathered, before every other augmentation)");
    static_assert(rules::normalize_channels<P>,
                  "pipeline: Normalize<mean, std> needs one value per channel of the "
                  "dataset (3 for RGB, 1 for grey)");
    static_assert(rules::crop_fits<P>,
                  "pipeline: RandomCrop<size, pad> is larger than the images it receives "
                  "(the dataset's size, or the last Resize<N> or RandomCrop before it); "
                  "crop to at most that size, or Resize first");
    static_assert(rules::cutout_fits<P>,
                  "pipeline: Cutout<n> is larger than the images it receives; use a "
                  "smaller square");
    static_assert(rules::reflect_pad_fits<P>,
                  "pipeline: RandomCrop<size, pad> pads by reflection, which needs pad "
                  "smaller than the images it receives (the dataset's size, or the last "
                  "Resize<N> or RandomCrop before it); use a smaller pad or Padding::zero");
    // Each example's partner is its neighbour in the batch; alone in a batch, its own.
    static_assert(rules::mixing_has_partner<P>,
                  "pipeline: MixUp/CutMix mix each example with another of its batch, but "
                  "Train<{.batch_size = 1}> leaves every example alone (mixed with itself, "
                  "nothing changes); use batch_size >= 2 or drop the mixing stage");
    // The bug timm selects around with a runtime if/elif chain (deit PR 91).
    static_assert(
        rules::soft_targets_accepted<P>,
        "pipeline: MixUp/CutMix produce soft targets, but Loss<CrossEntropy> takes "
        "hard labels only; use Loss<SoftTargetCE> or Loss<SmoothedCE<eps>>");
    static_assert(rules::smoothing_once<P>,
                  "pipeline: label smoothing applied twice (in the mixed targets and in "
                  "Loss<SmoothedCE<eps>>); keep one: Augment<MixUp, {.smoothing = eps}> "
                  "with Loss<SoftTargetCE>, or Augment<MixUp> with Loss<SmoothedCE<eps>>");
    return rules::augmentation_valid<P>;
}

} // namespace pipeline
