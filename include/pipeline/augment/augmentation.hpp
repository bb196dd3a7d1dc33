// The tensor side of an Augment<A> stage: `augmentation_impl<A>` acts on a whole float
// batch [B, C, H, W] on its device, drawing per-example randomness from the stage's own
// generator. The built-in stages are functions of their numbers (crop.hpp, flip.hpp,
// cutout.hpp, resize.hpp, mixup.hpp), which the core calls from the experiment's
// specification; `augmentation_op` is the one interface a stage of the user's own enters
// the core through (`erased_augmentation<A>`).
#pragma once

#include <cstdint>
#include <memory>

#include <torch/torch.h>

#include <pipeline/concepts/augmentation.hpp>

namespace pipeline {

//! An augmentation as the core runs it: the random transform of a training batch, drawing
//! from the stage's own generator, and what evaluation batches get.
class augmentation_op {
public:
    virtual ~augmentation_op() = default;
    virtual torch::Tensor train(torch::Tensor const& x, torch::Generator& gen) = 0;
    [[nodiscard]] virtual torch::Tensor eval(torch::Tensor const& x) const = 0;
};

//! Augmentation A (its `augmentation_impl<A>`) behind `augmentation_op`: what an
//! augmentation of the user's own contributes to the experiment's specification.
template <class A>
struct erased_augmentation {
    static std::unique_ptr<augmentation_op> make() {
        struct op final : augmentation_op {
            torch::Tensor train(torch::Tensor const& x, torch::Generator& gen) override {
                return augmentation_impl<A>::train(x, gen);
            }
            [[nodiscard]] torch::Tensor eval(torch::Tensor const& x) const override {
                return augmentation_impl<A>::eval(x);
            }
        };
        return std::make_unique<op>();
    }
};

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
