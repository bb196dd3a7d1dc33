// Multi-tensor steps for SGD and AdamW: LibTorch's C++ optimizers update one parameter at
// a time (a few kernel launches per tensor), which on CUDA leaves the GPU waiting on
// launches; these apply the same update to a whole parameter group with `_foreach_`
// kernels, as torch.optim's `foreach=True` paths do. Same formulas, same state objects
// (SGDParamState, AdamWParamState), so checkpoints and the per-tensor optimizers mix.
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <tuple>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include <pipeline/compat.hpp>

namespace pipeline {

//! torch::optim::SGD with the update of each group done by `_foreach_` kernels.
class multi_tensor_sgd : public torch::optim::SGD {
public:
    using torch::optim::SGD::SGD;

    torch::Tensor step(LossClosure closure = nullptr) override {
        torch::NoGradGuard no_grad;
        torch::Tensor loss;
        if (closure) {
            at::AutoGradMode enable_grad(true);
            loss = closure();
        }
        for (auto& group : param_groups()) {
            auto const& o = static_cast<torch::optim::SGDOptions const&>(group.options());
            std::vector<torch::Tensor> params, grads;
            for (auto& p : group.params())
                if (p.grad().defined()) {
                    params.push_back(p);
                    grads.push_back(p.grad());
                }
            if (params.empty())
                continue;
            std::vector<torch::Tensor> d_p =
                o.weight_decay() != 0 ? torch::_foreach_add(grads, params, o.weight_decay())
                                      : grads;
            if (o.momentum() != 0) {
                std::vector<torch::Tensor> bufs, with_state;
                std::vector<std::size_t> index;
                for (std::size_t i = 0; i < params.size(); ++i) {
                    auto const key = compat::optimizer_state_key(params[i]);
                    auto it = state().find(key);
                    if (it == state().end()) {
                        auto s = std::make_unique<torch::optim::SGDParamState>();
                        s->momentum_buffer(torch::clone(d_p[i]).detach());
                        bufs.push_back(s->momentum_buffer());
                        state()[key] = std::move(s);
                    } else {
                        auto& buf = static_cast<torch::optim::SGDParamState&>(*it->second)
                                        .momentum_buffer();
                        bufs.push_back(buf);
                        with_state.push_back(buf);
                        index.push_back(i);
                    }
                }
                if (!with_state.empty()) {
                    std::vector<torch::Tensor> d_old;
                    for (auto i : index)
                        d_old.push_back(d_p[i]);
                    torch::_foreach_mul_(with_state, o.momentum());
                    torch::_foreach_add_(with_state, d_old, 1 - o.dampening());
                }
                d_p = o.nesterov() ? torch::_foreach_add(d_p, bufs, o.momentum()) : bufs;
            }
            torch::_foreach_add_(params, d_p, -o.lr());
        }
        return loss;
    }
};

//! torch::optim::AdamW (decoupled weight decay, without amsgrad) with the update of each
//! group done by `_foreach_` kernels. Parameters are bucketed by their step count (a block
//! unfrozen later has taken fewer steps), since the bias corrections depend on it.
class multi_tensor_adamw : public torch::optim::AdamW {
public:
    using torch::optim::AdamW::AdamW;

    torch::Tensor step(LossClosure closure = nullptr) override {
        torch::NoGradGuard no_grad;
        torch::Tensor loss;
        if (closure) {
            at::AutoGradMode enable_grad(true);
            loss = closure();
        }
        for (auto& group : param_groups()) {
            auto const& o = static_cast<torch::optim::AdamWOptions const&>(group.options());
            TORCH_CHECK(!o.amsgrad(), "multi_tensor_adamw: amsgrad is not supported");
            auto const [beta1, beta2] = o.betas();
            struct bucket {
                std::vector<torch::Tensor> params, grads, exp_avg, exp_avg_sq;
            };
            std::map<std::int64_t, bucket> buckets;
            for (auto& p : group.params()) {
                if (!p.grad().defined())
                    continue;
                auto const key = compat::optimizer_state_key(p);
                auto it = state().find(key);
                if (it == state().end()) {
                    auto s = std::make_unique<torch::optim::AdamWParamState>();
                    s->step(0);
                    s->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
                    s->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
                    state()[key] = std::move(s);
                    it = state().find(key);
                }
                auto& s = static_cast<torch::optim::AdamWParamState&>(*it->second);
                s.step(s.step() + 1);
                auto& b = buckets[s.step()];
                b.params.push_back(p);
                b.grads.push_back(p.grad());
                b.exp_avg.push_back(s.exp_avg());
                b.exp_avg_sq.push_back(s.exp_avg_sq());
            }
            for (auto& [step, b] : buckets) {
                if (o.weight_decay() != 0)
                    torch::_foreach_mul_(b.params, 1 - o.lr() * o.weight_decay());
                auto const bias_correction1 = 1 - std::pow(beta1, step);
                auto const bias_correction2 = 1 - std::pow(beta2, step);
                torch::_foreach_mul_(b.exp_avg, beta1);
                torch::_foreach_add_(b.exp_avg, b.grads, 1 - beta1);
                torch::_foreach_mul_(b.exp_avg_sq, beta2);
                torch::_foreach_addcmul_(b.exp_avg_sq, b.grads, b.grads, 1 - beta2);
                auto denom = torch::_foreach_sqrt(b.exp_avg_sq);
                torch::_foreach_div_(denom, std::sqrt(bias_correction2));
                torch::_foreach_add_(denom, o.eps());
                torch::_foreach_addcdiv_(b.params, b.exp_avg, denom,
                                         -(o.lr() / bias_correction1));
            }
        }
        return loss;
    }
};

} // namespace pipeline
