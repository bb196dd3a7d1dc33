// Augment<Cutout<n>>: one n x n square per image set to zero, centred anywhere and clipped
// at the border (DeVries & Taylor 2017).
#pragma once

#include <torch/torch.h>

#include <pipeline/augment/augmentation.hpp>
#include <pipeline/dsl/augmentations.hpp>

namespace pipeline {

//! One `size` x `size` square per image set to zero, its centre drawn from `gen` anywhere
//! in the image, clipped at the border.
inline torch::Tensor cutout(torch::Tensor const& x, torch::Generator& gen, int size) {
    auto const b = x.size(0);
    auto const h = x.size(2);
    auto const w = x.size(3);
    auto cy = detail::uniform_int(b, h, gen, x.device()) - size / 2;
    auto cx = detail::uniform_int(b, w, gen, x.device()) - size / 2;
    auto len = torch::full({b}, size, cy.options());
    auto rows = detail::span_mask(cy, len, h);
    auto cols = detail::span_mask(cx, len, w);
    auto hole = rows.view({b, 1, h, 1}).logical_and(cols.view({b, 1, 1, w}));
    return x.masked_fill(hole, 0.0);
}

template <int N>
struct augmentation_impl<Cutout<N>> {
    static torch::Tensor train(torch::Tensor const& x, torch::Generator& gen) {
        return cutout(x, gen, N);
    }
    static torch::Tensor eval(torch::Tensor const& x) { return x; }
};

} // namespace pipeline
