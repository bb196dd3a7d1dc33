// The Evaluate<...> stage: how validation and test passes look at an image. Today one
// option, test-time augmentation (timm's --tta, airbench's flip-and-translate TTA):
// `Evaluate<TTA<HorizontalFlip>>` averages the logits of each image and its mirror,
// `Evaluate<TTA<HorizontalFlip, Shift<2>>>` also of the image shifted 2 pixels up-left and
// down-right (reflected at the border), every combination: 6 views. The run reports the
// validation and test figures with and without it. Torch-free: train/evaluate.hpp makes
// the views.
#pragma once

#include <string>
#include <type_traits>

#include <pipeline/dsl/augmentations.hpp>
#include <pipeline/dsl/tags.hpp>

namespace pipeline {

//! The views test-time augmentation averages over, as the core reads them.
struct TtaParams {
    //! Each view also mirrored left-right.
    bool flip = false;
    //! Also shifted by this many pixels up-left and down-right (0: not shifted).
    int shift = 0;

    //! How many views of each image: (1 + 2 if shifted) x (2 if mirrored).
    [[nodiscard]] constexpr int views() const {
        return (shift > 0 ? 3 : 1) * (flip ? 2 : 1);
    }
    [[nodiscard]] constexpr bool active() const { return views() > 1; }
};

//! A view of TTA<...>: the image shifted by `Pixels` up-left and down-right, the border
//! reflected (airbench's translate TTA). 1 to 8 pixels.
template <int Pixels>
struct Shift {
    static_assert(Pixels >= 1 && Pixels <= 8,
                  "pipeline: Shift<pixels> in TTA<...> takes 1 to 8 pixels (airbench "
                  "shifts CIFAR-10's 32-pixel images by 2)");
    static constexpr int pixels = Pixels;
    static std::string name() { return "Shift<" + std::to_string(Pixels) + ">"; }
};

namespace detail {
template <class T>
inline constexpr bool is_shift = false;
template <int P>
inline constexpr bool is_shift<Shift<P>> = true;
template <class T>
inline constexpr bool is_tta_view = std::is_same_v<T, HorizontalFlip> || is_shift<T>;
template <class T>
inline constexpr int shift_of = 0;
template <int P>
inline constexpr int shift_of<Shift<P>> = P;
} // namespace detail

//! Test-time augmentation: the logits averaged over the views `Views...` make of each
//! image (HorizontalFlip, Shift<pixels>), every combination of them.
template <class... Views>
struct TTA {
    static_assert(sizeof...(Views) >= 1,
                  "pipeline: TTA<...> needs at least one view (HorizontalFlip, "
                  "Shift<pixels>)");
    static_assert((detail::is_tta_view<Views> && ...),
                  "pipeline: TTA<...> takes the views HorizontalFlip and Shift<pixels>; "
                  "random augmentations (crops, Cutout, MixUp) have no deterministic view");
    static_assert((0 + ... + (std::is_same_v<Views, HorizontalFlip> ? 1 : 0)) <= 1
                      && (0 + ... + (detail::is_shift<Views> ? 1 : 0)) <= 1,
                  "pipeline: TTA<...> names each kind of view once (one HorizontalFlip, "
                  "one Shift<pixels>)");
    static constexpr TtaParams params{(std::is_same_v<Views, HorizontalFlip> || ...),
                                      (0 + ... + detail::shift_of<Views>)};
    static std::string name() {
        std::string out = "TTA<";
        ((out += name_of<Views>() + ", "), ...);
        out.resize(out.size() - 2);
        return out + ">";
    }
};

namespace detail {
template <class T>
inline constexpr bool is_tta = false;
template <class... V>
inline constexpr bool is_tta<TTA<V...>> = true;
} // namespace detail

} // namespace pipeline
