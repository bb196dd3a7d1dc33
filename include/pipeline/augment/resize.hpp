// Augment<Resize<N>>: bilinear resizing to N x N, for training and evaluation batches
// alike.
#pragma once

#include <torch/torch.h>

#include <pipeline/augment/augmentation.hpp>
#include <pipeline/dsl/augmentations.hpp>

namespace pipeline {

//! Every image resized to `size` x `size` (bilinear; the identity at that size already).
inline torch::Tensor resize(torch::Tensor const& x, int size) {
    if (x.size(2) == size && x.size(3) == size)
        return x;
    namespace F = torch::nn::functional;
    return F::interpolate(x, F::InterpolateFuncOptions()
                                 .size(std::vector<std::int64_t>{size, size})
                                 .mode(torch::kBilinear)
                                 .align_corners(false));
}

template <int N>
struct augmentation_impl<Resize<N>> {
    static torch::Tensor eval(torch::Tensor const& x) { return resize(x, N); }
    static torch::Tensor train(torch::Tensor const& x, torch::Generator&) {
        return eval(x);
    }
};

} // namespace pipeline
