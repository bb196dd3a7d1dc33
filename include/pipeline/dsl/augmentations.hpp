// Augmentation tags, the arguments of Augment<...>: pixel stages (RandomCrop,
// HorizontalFlip, Cutout, Resize, Normalize) and the mixing stages that produce soft
// targets (MixUp, CutMix, MixUpCutMix). Hyperparameters live in the type: names that need
// a value are templates (`RandomCrop<32, 4>`), names with defaults are types tuned with the
// stage's second argument (`Augment<MixUp, {.alpha = 0.2}>`). Torch-free: the tensors are
// in pipeline/augment/.
#pragma once

#include <array>
#include <concepts>
#include <string>
#include <type_traits>

#include <pipeline/dsl/fixed_string.hpp>
#include <pipeline/dsl/tags.hpp>
#include <pipeline/dsl/tunable.hpp>

namespace pipeline {

//! How RandomCrop fills the border it pads: mirrored pixels, or zeros (after
//! normalisation, i.e. the dataset's mean colour).
enum class Padding { reflect, zero };

//! Pads each image by `Pad` pixels on every side, then crops a `Size` x `Size` window at a
//! random position per image. `RandomCrop<32, 4>` is the classic CIFAR augmentation. At
//! evaluation it is the centre `Size` x `Size` crop (the identity when Size equals the
//! image side).
template <int Size, int Pad = 0, Padding Mode = Padding::reflect>
struct RandomCrop : augmentation_tag {
    static_assert(Size >= 1, "pipeline: RandomCrop<size, pad> needs size >= 1");
    static_assert(Pad >= 0, "pipeline: RandomCrop<size, pad> needs pad >= 0");
    static constexpr int size = Size;
    static constexpr int pad = Pad;
    static constexpr Padding padding = Mode;
    //! The side of its output (concepts/augmentation.hpp): the size rules follow it.
    static constexpr int output_size = Size;
    static std::string name() {
        return "RandomCrop<" + std::to_string(Size) + ", " + std::to_string(Pad)
               + (Mode == Padding::zero ? ", Padding::zero" : "") + ">";
    }
};

//! Mirrors each image left-right with probability 1/2.
struct HorizontalFlip : augmentation_tag, named<"HorizontalFlip"> {};

//! Zeroes one `N` x `N` square per image (DeVries & Taylor 2017), centred anywhere in the
//! image and clipped at its border. After normalisation, zero is the mean colour.
template <int N>
struct Cutout : augmentation_tag {
    static_assert(N >= 1, "pipeline: Cutout<n> needs a square side n >= 1");
    static constexpr int size = N;
    static std::string name() { return "Cutout<" + std::to_string(N) + ">"; }
};

//! Resizes every image to `N` x `N` (bilinear), in training and evaluation alike: for
//! running 32x32 images through backbones made for larger inputs.
template <int N>
struct Resize : augmentation_tag {
    static_assert(N >= 1, "pipeline: Resize<N> needs N >= 1");
    static constexpr int size = N;
    //! The side of its output (concepts/augmentation.hpp): the size rules follow it.
    static constexpr int output_size = N;
    static std::string name() { return "Resize<" + std::to_string(N) + ">"; }
};

//! Per-channel values in a type: `{0.5, 0.5, 0.5}`; empty means "the dataset's own".
struct channel_values {
    std::array<double, 4> values{};
    int count = 0;

    constexpr channel_values() = default;
    template <class... T>
    requires(sizeof...(T) >= 1 && sizeof...(T) <= 4
             && (std::convertible_to<T, double> && ...)) constexpr channel_values(T... v)
        : values{static_cast<double>(v)...}
        , count(static_cast<int>(sizeof...(T))) {}

    [[nodiscard]] constexpr bool all_positive() const {
        for (int i = 0; i < count; ++i)
            if (!(values[static_cast<std::size_t>(i)] > 0.0))
                return false;
        return true;
    }
    [[nodiscard]] std::string text() const {
        std::string out = "{";
        for (int i = 0; i < count; ++i)
            out += (i ? ", " : "")
                   + detail::format_number(values[static_cast<std::size_t>(i)]);
        return out + "}";
    }
};

//! `Normalize<>`: (x / 255 - mean) / std with the dataset's statistics (what happens
//! without this stage, too). `Normalize<{0.5, 0.5, 0.5}, {0.5, 0.5, 0.5}>`: with the given
//! statistics, e.g. those a pretrained backbone was trained with. Normalisation happens as
//! each batch is gathered, so this stage comes first among the Augment stages and applies
//! to evaluation batches as well.
template <channel_values Mean = channel_values{}, channel_values Std = channel_values{}>
struct Normalize : augmentation_tag {
    static_assert(Mean.count == Std.count,
                  "pipeline: Normalize<mean, std> needs as many std values as mean values "
                  "(one per channel)");
    static_assert(Std.all_positive(), "pipeline: Normalize<mean, std> needs every std > 0");
    static constexpr channel_values mean = Mean;
    static constexpr channel_values std = Std;
    //! Whether the statistics are given (otherwise the dataset's are used).
    static constexpr bool explicit_stats = Mean.count > 0;
    static std::string name() {
        if constexpr (!explicit_stats)
            return "Normalize<>";
        else
            return "Normalize<" + Mean.text() + ", " + Std.text() + ">";
    }
};

//! What a mixing stage does, as the tensor side reads it (`mix<P>`, augment/mixup.hpp):
//! MixUp where `mixup_alpha` > 0, CutMix where `cutmix_alpha` > 0, per example CutMix with
//! probability `switch_prob` when both are (timm's Mixup); `smoothing` is label smoothing
//! folded into the mixed targets. Also MixUpCutMix's hyperparameters (there both alphas
//! are > 0; switch_prob 0 is MixUp's draw for every example, 1 CutMix's).
struct MixParams {
    double mixup_alpha = 0.8;
    double cutmix_alpha = 1.0;
    double switch_prob = 0.5;
    double smoothing = 0.0;
};

//! MixUp's hyperparameters: the Beta(alpha, alpha) of the mixing coefficient (0.4 as
//! fastai's MixUp) and label smoothing folded into the mixed targets.
struct MixUpParams {
    double alpha = 0.4;
    double smoothing = 0.0;
};

//! CutMix's hyperparameters: the Beta(alpha, alpha) of the kept area (1.0 as the paper
//! and fastai) and label smoothing folded into the mixed targets.
struct CutMixParams {
    double alpha = 1.0;
    double smoothing = 0.0;
};

namespace detail {
struct mixing_tag {};

template <MixUpParams P>
struct mixup : augmentation_tag, mixing_tag, tuned_by<mixup, P> {
    static_assert(P.alpha > 0.0, "pipeline: Augment<MixUp, {.alpha}> needs alpha > 0 (the "
                                 "Beta(alpha, alpha) distribution of the mixing "
                                 "coefficient)");
    static_assert(P.smoothing >= 0.0 && P.smoothing < 1.0,
                  "pipeline: Augment<MixUp, {.smoothing}> needs 0 <= eps < 1");
    static constexpr MixParams mixing{P.alpha, 0.0, 0.0, P.smoothing};
    static std::string name() {
        constexpr MixUpParams d{};
        return tuned_name("MixUp", field_printer{}("alpha", P.alpha, d.alpha)(
                                       "smoothing", P.smoothing, d.smoothing)
                                       .braced());
    }
};

template <CutMixParams P>
struct cutmix : augmentation_tag, mixing_tag, tuned_by<cutmix, P> {
    static_assert(P.alpha > 0.0, "pipeline: Augment<CutMix, {.alpha}> needs alpha > 0 (the "
                                 "Beta(alpha, alpha) distribution of the kept area)");
    static_assert(P.smoothing >= 0.0 && P.smoothing < 1.0,
                  "pipeline: Augment<CutMix, {.smoothing}> needs 0 <= eps < 1");
    static constexpr MixParams mixing{0.0, P.alpha, 1.0, P.smoothing};
    static std::string name() {
        constexpr CutMixParams d{};
        return tuned_name("CutMix", field_printer{}("alpha", P.alpha, d.alpha)(
                                        "smoothing", P.smoothing, d.smoothing)
                                        .braced());
    }
};

template <MixParams P>
struct mixup_cutmix : augmentation_tag, mixing_tag, tuned_by<mixup_cutmix, P> {
    // Both halves on: with one alpha 0 the stage is MixUp or CutMix alone and switch_prob
    // has no effect (timm then ignores it), so that stage is the one to write.
    static_assert(P.mixup_alpha > 0.0 && P.cutmix_alpha > 0.0,
                  "pipeline: Augment<MixUpCutMix, {.mixup_alpha, .cutmix_alpha}> needs "
                  "both alphas > 0 (with one of them 0 it is MixUp or CutMix alone and "
                  "switch_prob has no effect: write Augment<MixUp, {.alpha}> or "
                  "Augment<CutMix, {.alpha}>)");
    static_assert(P.switch_prob >= 0.0 && P.switch_prob <= 1.0,
                  "pipeline: Augment<MixUpCutMix, {.switch_prob}> is a probability "
                  "(0 <= p <= 1)");
    static_assert(P.smoothing >= 0.0 && P.smoothing < 1.0,
                  "pipeline: Augment<MixUpCutMix, {.smoothing}> needs 0 <= eps < 1");
    static constexpr MixParams mixing = P;
    static std::string name() {
        constexpr MixParams d{};
        return tuned_name("MixUpCutMix",
                          field_printer{}("mixup_alpha", P.mixup_alpha, d.mixup_alpha)(
                              "cutmix_alpha", P.cutmix_alpha,
                              d.cutmix_alpha)("switch_prob", P.switch_prob, d.switch_prob)(
                              "smoothing", P.smoothing, d.smoothing)
                              .braced());
    }
};
} // namespace detail

//! Blends each example with another of the batch: x = l x_i + (1 - l) x_j, and the same
//! for the targets, with l ~ Beta(alpha, alpha) drawn per example (Zhang et al. 2018).
//! Produces soft targets: the loss must accept them (SoftTargetCE, SmoothedCE<eps>).
//! `Augment<MixUp>`, `Augment<MixUp, {.alpha = 0.2, .smoothing = 0.1}>`.
using MixUp = detail::mixup<MixUpParams{}>;

//! Pastes a random box of another example of the batch into each example (Yun et al.
//! 2019), with the box area 1 - l for l ~ Beta(alpha, alpha) per example; the targets mix
//! by the exact pasted area. Produces soft targets. `Augment<CutMix>`,
//! `Augment<CutMix, {.alpha = 0.5}>`.
using CutMix = detail::cutmix<CutMixParams{}>;

//! MixUp or CutMix, chosen per example (CutMix with probability `switch_prob`), as timm's
//! Mixup does when both alphas are given: `Augment<MixUpCutMix>`,
//! `Augment<MixUpCutMix, {.mixup_alpha = 0.8, .cutmix_alpha = 1.0, .switch_prob = 0.5,
//! .smoothing = 0.1}>`.
using MixUpCutMix = detail::mixup_cutmix<MixParams{}>;

//! Stage-kind traits of augmentations.
template <class A>
inline constexpr bool is_mixing = std::is_base_of_v<detail::mixing_tag, A>;

template <class A>
inline constexpr bool is_normalize = false;
template <channel_values M, channel_values S>
inline constexpr bool is_normalize<Normalize<M, S>> = true;

template <class A>
inline constexpr bool is_resize = false;
template <int N>
inline constexpr bool is_resize<Resize<N>> = true;

template <class A>
inline constexpr bool is_random_crop = false;
template <int S, int P, Padding M>
inline constexpr bool is_random_crop<RandomCrop<S, P, M>> = true;

template <class A>
inline constexpr bool is_cutout = false;
template <int N>
inline constexpr bool is_cutout<Cutout<N>> = true;

} // namespace pipeline
