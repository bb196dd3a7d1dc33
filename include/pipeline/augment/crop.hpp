// Augment<RandomCrop<size, pad>>: pad every image, then crop a window at a random offset
// per image, as one batched gather on the device.
#pragma once

#include <string>

#include <torch/torch.h>

#include <pipeline/augment/augmentation.hpp>
#include <pipeline/dsl/augmentations.hpp>
#include <pipeline/error.hpp>

namespace pipeline {

//! RandomCrop<size, pad, mode> on a batch: pads every image by `pad` (mirrored or zeros),
//! then crops a `size` x `size` window at a random offset per image, drawn from `gen`.
//! `name` is the stage as printed, for errors.
inline torch::Tensor random_crop(torch::Tensor const& x, torch::Generator& gen, int size,
                                 int pad, Padding mode, std::string const& name) {
    auto const b = x.size(0);
    torch::Tensor padded = x;
    if (pad > 0) {
        if (mode == Padding::reflect && (pad >= x.size(2) || pad >= x.size(3)))
            throw error(name, "reflect padding smaller than the image side",
                        "images of " + std::to_string(x.size(2)) + "x"
                            + std::to_string(x.size(3))
                            + " (use Padding::zero or a smaller pad)");
        namespace F = torch::nn::functional;
        auto options = F::PadFuncOptions({pad, pad, pad, pad});
        if (mode == Padding::reflect)
            options.mode(torch::kReflect);
        else
            options.mode(torch::kConstant);
        padded = F::pad(x, options);
    }
    auto const hp = padded.size(2);
    auto const wp = padded.size(3);
    if (size > hp || size > wp)
        throw error(name, "images of at least the crop size",
                    std::to_string(x.size(2)) + "x" + std::to_string(x.size(3)));
    auto const dy = detail::uniform_int(b, hp - size + 1, gen, x.device());
    auto const dx = detail::uniform_int(b, wp - size + 1, gen, x.device());
    // Every size x size window as a strided view [B, C, hp - size + 1, wp - size + 1,
    // size, size] (no copy); indexing (b, :, dy_b, dx_b) copies just the chosen window of
    // each image.
    auto windows = padded.unfold(2, size, 1).unfold(3, size, 1);
    auto const batch_index = torch::arange(b, dy.options());
    return windows.index({batch_index, torch::indexing::Slice(), dy, dx});
}

//! The centre `size` x `size` crop (the identity when the images already have that size):
//! what RandomCrop does to evaluation batches.
inline torch::Tensor centre_crop(torch::Tensor const& x, int size) {
    auto const h = x.size(2);
    auto const w = x.size(3);
    if (h == size && w == size)
        return x;
    return x.narrow(2, (h - size) / 2, size).narrow(3, (w - size) / 2, size);
}

template <int S, int P, Padding M>
struct augmentation_impl<RandomCrop<S, P, M>> {
    static torch::Tensor train(torch::Tensor const& x, torch::Generator& gen) {
        return random_crop(x, gen, S, P, M, RandomCrop<S, P, M>::name());
    }
    static torch::Tensor eval(torch::Tensor const& x) { return centre_crop(x, S); }
};

} // namespace pipeline
