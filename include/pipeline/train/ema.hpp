// An exponential moving average of a model's weights (timm's ModelEmaV3): a second copy of
// the model whose parameters and buffers follow the trained ones after every step,
// ema = d * ema + (1 - d) * model, evaluated as a model of its own. The decay d warms up
// as timm's does, d_t = min(decay, 1 - (1 + t)^(-2/3)) at step t: without it a short run's
// average (0.999 over 840 steps) would still be mostly the initial weights.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

#include <pipeline/error.hpp>

namespace pipeline {

//! Keeps `average` an exponential moving average of `model` (two modules of the same
//! architecture). Floating-point parameters and buffers (BatchNorm running statistics)
//! are averaged with multi-tensor `_foreach_` kernels; integer buffers
//! (num_batches_tracked) are copied.
class weight_average {
public:
    weight_average(torch::nn::Module& model, torch::nn::Module& average, double decay)
        : decay_(decay) {
        auto const mp = model.named_parameters();
        auto const ap = average.named_parameters();
        auto const mb = model.named_buffers();
        auto const ab = average.named_buffers();
        if (mp.size() != ap.size() || mb.size() != ab.size())
            throw error("Ema<" + std::to_string(decay) + ">",
                        "a copy of the model's layout", "a module with other parameters");
        auto add = [&](std::string const& name, torch::Tensor const& m,
                       torch::Tensor const& a) {
            if (!a.sizes().equals(m.sizes()))
                throw error("Ema copy of " + name, "the model's shape", "another shape");
            (m.is_floating_point() ? floating_ : integral_).push_back({a, m});
        };
        for (std::size_t i = 0; i < mp.size(); ++i)
            add(mp[i].key(), mp[i].value(), ap[i].value());
        for (std::size_t i = 0; i < mb.size(); ++i)
            add(mb[i].key(), mb[i].value(), ab[i].value());
        for (auto const& [a, m] : floating_) {
            average_.push_back(a);
            model_.push_back(m);
        }
        reset();
        for (auto& p : average.parameters())
            p.requires_grad_(false);
    }

    //! Copies the model into the average (the start of training).
    void reset() {
        torch::NoGradGuard no_grad;
        for (auto& [a, m] : floating_)
            a.copy_(m);
        for (auto& [a, m] : integral_)
            a.copy_(m);
    }

    //! The decay used at optimizer step `step` (counted from 0): the warm-up
    //! 1 - (1 + step)^(-2/3), capped at the decay asked for.
    [[nodiscard]] double decay_at(std::int64_t step) const {
        double const warm = 1.0 - std::pow(1.0 + static_cast<double>(step), -2.0 / 3.0);
        return std::min(decay_, warm);
    }

    //! The number of steps before the warm-up reaches the decay asked for.
    [[nodiscard]] std::int64_t warmup_steps() const {
        return static_cast<std::int64_t>(std::ceil(std::pow(1.0 - decay_, -1.5) - 1.0));
    }

    //! The update after optimizer step `step`: average = d * average + (1 - d) * model,
    //! d = decay_at(step).
    void update(std::int64_t step) {
        torch::NoGradGuard no_grad;
        double const d = decay_at(step);
        if (!average_.empty()) {
            torch::_foreach_mul_(average_, d);
            torch::_foreach_add_(average_, model_, 1.0 - d);
        }
        for (auto& [a, m] : integral_)
            a.copy_(m);
    }

    [[nodiscard]] double decay() const { return decay_; }

private:
    double decay_;
    std::vector<std::pair<torch::Tensor, torch::Tensor>> floating_, integral_;
    std::vector<torch::Tensor> average_, model_;
};

} // namespace pipeline
