// Augment<RandomCrop<size, pad>>: pad every image, then crop a window at a random offset
// per image, as one batched gather on the device.
#pragma once

#include <string>

#include <torch/torch.h>

#include <pipeline/augment/augmentation.hpp>
#include <pipeline/dsl/augmentations.hpp>
#include <pipeline/error.hpp>

namespace pipeline {

template <int S, int P, Padding M>
struct augmentation_impl<RandomCrop<S, P, M>> {
    static torch::Tensor train(torch::Tensor const& x, torch::Generator& gen) {
        auto const b = x.size(0);
        torch::Tensor padded = x;
        if constexpr (P > 0) {
            if (M == Padding::reflect && (P >= x.size(2) || P >= x.size(3)))
                throw error(RandomCrop<S, P, M>::name(),
                            "reflect padding smaller than the image side",
                            "images of " + std::to_string(x.size(2)) + "x"
                                + std::to_string(x.size(3))
                                + " (use Padding::zero or a smaller pad)");
            namespace F = torch::nn::functional;
            auto options = F::PadFuncOptions({P, P, P, P});
            if constexpr (M == Padding::reflect)
                options.mode(torch::kReflect);
            else
                options.mode(torch::kConstant);
            padded = F::pad(x, options);
        }
        auto const hp = padded.size(2);
        auto const wp = padded.size(3);
        if (S > hp || S > wp)
            throw error(RandomCrop<S, P, M>::name(), "images of at least the crop size",
                        std::to_string(x.size(2)) + "x" + std::to_string(x.size(3)));
        auto const dy = detail::uniform_int(b, hp - S + 1, gen, x.device());
        auto const dx = detail::uniform_int(b, wp - S + 1, gen, x.device());
        // Every S x S window as a strided view [B, C, hp - S + 1, wp - S + 1, S, S] (no
        // copy); indexing (b, :, dy_b, dx_b) copies just the chosen window of each image.
        auto windows = padded.unfold(2, S, 1).unfold(3, S, 1);
        auto const batch_index = torch::arange(b, dy.options());
        return windows.index({batch_index, torch::indexing::Slice(), dy, dx});
    }

    //! The centre crop (the identity when the images already have the crop's size).
    static torch::Tensor eval(torch::Tensor const& x) {
        auto const h = x.size(2);
        auto const w = x.size(3);
        if (h == S && w == S)
            return x;
        return x.narrow(2, (h - S) / 2, S).narrow(3, (w - S) / 2, S);
    }
};

} // namespace pipeline
