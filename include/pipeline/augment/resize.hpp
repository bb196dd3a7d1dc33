// Augment<Resize<N>>: bilinear resizing to N x N, for training and evaluation batches
// alike.
#pragma once

#include <torch/torch.h>

#include <pipeline/augment/augmentation.hpp>
#include <pipeline/dsl/augmentations.hpp>

namespace pipeline {

template <int N>
struct augmentation_impl<Resize<N>> {
    static torch::Tensor eval(torch::Tensor const& x) {
        if (x.size(2) == N && x.size(3) == N)
            return x;
        namespace F = torch::nn::functional;
        return F::interpolate(x, F::InterpolateFuncOptions()
                                     .size(std::vector<std::int64_t>{N, N})
                                     .mode(torch::kBilinear)
                                     .align_corners(false));
    }
    static torch::Tensor train(torch::Tensor const& x, torch::Generator&) {
        return eval(x);
    }
};

} // namespace pipeline
