// The tensor side of an Augment<A> stage: `augmentation_impl<A>` acts on a whole float
// batch [B, C, H, W] on its device, drawing per-example randomness from the stage's own
// generator. Specialised in crop.hpp, flip.hpp, cutout.hpp, resize.hpp, normalize.hpp and
// mixup.hpp.
#pragma once

#include <cstdint>

#include <torch/torch.h>

namespace pipeline {

//! `static torch::Tensor train(torch::Tensor const& x, torch::Generator& gen)`: the random
//! transform of a training batch; `static torch::Tensor eval(torch::Tensor const& x)`: what
//! evaluation batches get (the identity for purely random stages).
template <class A>
struct augmentation_impl;

namespace detail {

//! `n` uniform draws in [0, 1) on `device`, from `gen`.
inline torch::Tensor uniform(std::int64_t n, torch::Generator& gen,
                             torch::Device const& device) {
    return torch::rand({n}, gen,
                       torch::TensorOptions().dtype(torch::kFloat32).device(device));
}

//! `n` integers drawn uniformly from [0, high) on `device` (high may differ per call).
inline torch::Tensor uniform_int(std::int64_t n, std::int64_t high, torch::Generator& gen,
                                 torch::Device const& device) {
    return (uniform(n, gen, device) * static_cast<double>(high))
        .floor()
        .to(torch::kInt64)
        .clamp_max(high - 1);
}

//! [B, len] boolean masks: position p is inside [start_b, start_b + len_b).
inline torch::Tensor span_mask(torch::Tensor const& start, torch::Tensor const& length,
                               std::int64_t size) {
    auto pos = torch::arange(size, start.options()).unsqueeze(0);
    return (pos >= start.unsqueeze(1)).logical_and(pos < (start + length).unsqueeze(1));
}

} // namespace detail
} // namespace pipeline
