// Augment<HorizontalFlip>: each image mirrored left-right with probability 1/2.
#pragma once

#include <torch/torch.h>

#include <pipeline/augment/augmentation.hpp>
#include <pipeline/dsl/augmentations.hpp>

namespace pipeline {

//! Each image of the batch mirrored left-right with probability 1/2, drawn from `gen`.
inline torch::Tensor random_horizontal_flip(torch::Tensor const& x, torch::Generator& gen) {
    auto flip = detail::uniform(x.size(0), gen, x.device()).lt(0.5);
    return torch::where(flip.view({-1, 1, 1, 1}), x.flip({3}), x);
}

template <>
struct augmentation_impl<HorizontalFlip> {
    static torch::Tensor train(torch::Tensor const& x, torch::Generator& gen) {
        return random_horizontal_flip(x, gen);
    }
    static torch::Tensor eval(torch::Tensor const& x) { return x; }
};

} // namespace pipeline
