// Augment<HorizontalFlip>: each image mirrored left-right with probability 1/2.
#pragma once

#include <torch/torch.h>

#include <pipeline/augment/augmentation.hpp>
#include <pipeline/dsl/augmentations.hpp>

namespace pipeline {

template <>
struct augmentation_impl<HorizontalFlip> {
    static torch::Tensor train(torch::Tensor const& x, torch::Generator& gen) {
        auto flip = detail::uniform(x.size(0), gen, x.device()).lt(0.5);
        return torch::where(flip.view({-1, 1, 1, 1}), x.flip({3}), x);
    }
    static torch::Tensor eval(torch::Tensor const& x) { return x; }
};

} // namespace pipeline
