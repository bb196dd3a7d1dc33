// Multi-tensor steps for SGD and AdamW: LibTorch's C++ optimizers update one parameter at
// a time (a few kernel launches per tensor), which on CUDA leaves the GPU waiting on
// launches; these apply the same update to a whole parameter group with `_foreach_`
// kernels, as torch.optim's `foreach=True` paths do. Same formulas, same state objects
// (SGDParamState, AdamWParamState), so checkpoints and the per-tensor optimizers mix.
//
// The steps are capturable (torch.optim's `capturable=True`): a step reads nothing the
// host holds that changes from step to step, so a CUDA graph of it replays correctly. Each
// group's learning rate is a 0-d tensor on its parameters' device, written by
// `set_group_lr` (a fill kernel: no read, no synchronisation) and read only by the
// kernels; AdamW counts each parameter's steps in a 0-d tensor there too and computes the
// bias corrections on the device. Those scalars are float64 (float32 on MPS), each factor
// rounded once to the parameters' dtype as the host path rounds its doubles, since
// 1 - 0.999^t in float32 keeps about four digits at t = 1. The host `lr()` option is
// kept equal for records and the per-tensor path; the step never reads it.
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
#include <pipeline/host_read.hpp>

namespace pipeline {

//! An optimizer whose step reads each group's learning rate from a device tensor.
class capturable_optimizer {
public:
    virtual ~capturable_optimizer() = default;
    //! Sets group `i`'s rate: the host option (records, printing) and the device tensor
    //! the step reads (`fill_`: a kernel launch, no read, no synchronisation).
    virtual void set_group_lr(std::size_t i, double lr) = 0;
    //! Group `i`'s rate as the step reads it: a 0-d tensor on its parameters' device.
    [[nodiscard]] virtual torch::Tensor group_lr_tensor(std::size_t i) = 0;
};

namespace detail {
//! The dtype of the scalars a capturable step computes on `device`: float64, except
//! where the device has none (MPS).
inline torch::ScalarType capturable_scalar_dtype(torch::Device const& device) {
    return device.type() == torch::kMPS ? torch::kFloat32 : torch::kFloat64;
}

//! Optimizer `Base` with a device tensor per group holding its learning rate.
template <class Base>
class with_device_rates : public Base, public capturable_optimizer {
public:
    using Base::Base;

    void set_group_lr(std::size_t i, double lr) override {
        this->param_groups().at(i).options().set_lr(lr);
        rate(i).fill_(lr);
    }

    torch::Tensor group_lr_tensor(std::size_t i) override { return rate(i); }

protected:
    //! Group `i`'s rate tensor, made from the host option the first time it is needed
    //! (and again should the parameters move to another device).
    torch::Tensor& rate(std::size_t i) {
        auto& groups = this->param_groups();
        if (rates_.size() < groups.size())
            rates_.resize(groups.size());
        auto& group = groups.at(i);
        auto const device = group.params().empty() ? torch::Device(torch::kCPU)
                                                   : group.params().front().device();
        auto& r = rates_[i];
        if (!r.defined() || r.device() != device)
            r = torch::full({}, group.options().get_lr(),
                            torch::TensorOptions()
                                .dtype(capturable_scalar_dtype(device))
                                .device(device));
        return r;
    }

private:
    std::vector<torch::Tensor> rates_;
};
} // namespace detail

//! torch::optim::SGD with the update of each group done by `_foreach_` kernels, reading
//! the group's rate from its device tensor.
class multi_tensor_sgd : public detail::with_device_rates<torch::optim::SGD> {
public:
    using detail::with_device_rates<torch::optim::SGD>::with_device_rates;

    torch::Tensor step(LossClosure closure = nullptr) override {
        torch::NoGradGuard no_grad;
        torch::Tensor loss;
        if (closure) {
            at::AutoGradMode enable_grad(true);
            loss = closure();
        }
        auto& groups = param_groups();
        for (std::size_t g = 0; g < groups.size(); ++g) {
            auto& group = groups[g];
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
            // p -= lr * d_p, the rate read on the device.
            auto const neg_lr = rate(g).neg().to(params.front().scalar_type());
            torch::_foreach_add_(params, compat::foreach_mul(d_p, neg_lr));
        }
        return loss;
    }
};

//! AdamW's per-parameter state with the step count also kept on the device (a 0-d tensor
//! the step increments); `step()` counts on the host alongside, for bucketing parameters
//! that have taken as many steps (a graph replay advances only the device count, which a
//! checkpoint therefore reads: `device_step_counts`).
struct capturable_adamw_state : torch::optim::AdamWParamState {
    torch::Tensor device_step;

    [[nodiscard]] std::unique_ptr<torch::optim::OptimizerParamState>
    clone() const override {
        auto copy = std::make_unique<capturable_adamw_state>(*this);
        if (device_step.defined())
            copy->device_step = device_step.clone();
        return copy;
    }
};

//! torch::optim::AdamW (decoupled weight decay, without amsgrad) with the update of each
//! group done by `_foreach_` kernels, the rate and step counts read on the device.
//! Parameters are bucketed by their step count (a block unfrozen later has taken fewer
//! steps), since the bias corrections depend on it.
class multi_tensor_adamw : public detail::with_device_rates<torch::optim::AdamW> {
public:
    using detail::with_device_rates<torch::optim::AdamW>::with_device_rates;

    torch::Tensor step(LossClosure closure = nullptr) override {
        torch::NoGradGuard no_grad;
        torch::Tensor loss;
        if (closure) {
            at::AutoGradMode enable_grad(true);
            loss = closure();
        }
        auto& groups = param_groups();
        for (std::size_t g = 0; g < groups.size(); ++g) {
            auto& group = groups[g];
            auto const& o = static_cast<torch::optim::AdamWOptions const&>(group.options());
            TORCH_CHECK(!o.amsgrad(), "multi_tensor_adamw: amsgrad is not supported");
            auto const [beta1, beta2] = o.betas();
            struct bucket {
                std::vector<torch::Tensor> params, grads, exp_avg, exp_avg_sq, steps;
            };
            std::map<std::int64_t, bucket> buckets;
            for (auto& p : group.params()) {
                if (!p.grad().defined())
                    continue;
                auto& s = state_of(p);
                s.step(s.step() + 1);
                auto& b = buckets[s.step()];
                b.params.push_back(p);
                b.grads.push_back(p.grad());
                b.exp_avg.push_back(s.exp_avg());
                b.exp_avg_sq.push_back(s.exp_avg_sq());
                b.steps.push_back(s.device_step);
            }
            for (auto& entry : buckets) {
                auto& b = entry.second;
                // The device counts of one bucket are equal: one of them stands for all.
                torch::_foreach_add_(b.steps, 1);
                auto const& t = b.steps.front();
                auto const lr = rate(g);
                auto const dtype = b.params.front().scalar_type();
                if (o.weight_decay() != 0)
                    compat::foreach_mul_(b.params, (1 - lr * o.weight_decay()).to(dtype));
                auto const bias_correction1 = 1 - torch::pow(beta1, t);
                auto const bias_correction2 = 1 - torch::pow(beta2, t);
                torch::_foreach_mul_(b.exp_avg, beta1);
                torch::_foreach_add_(b.exp_avg, b.grads, 1 - beta1);
                torch::_foreach_mul_(b.exp_avg_sq, beta2);
                torch::_foreach_addcmul_(b.exp_avg_sq, b.grads, b.grads, 1 - beta2);
                auto denom = torch::_foreach_sqrt(b.exp_avg_sq);
                compat::foreach_div_(denom, torch::sqrt(bias_correction2).to(dtype));
                torch::_foreach_add_(denom, o.eps());
                // p -= lr / bias_correction1 * exp_avg / denom
                auto update = torch::_foreach_div(b.exp_avg, denom);
                compat::foreach_mul_(update, (-lr / bias_correction1).to(dtype));
                torch::_foreach_add_(b.params, update);
            }
        }
        return loss;
    }

private:
    //! `p`'s state: new (no steps, zero moments) the first time `p` has a gradient; one
    //! restored from a checkpoint (a plain AdamWParamState) gets its device count then.
    capturable_adamw_state& state_of(torch::Tensor const& p) {
        auto const key = compat::optimizer_state_key(p);
        auto it = state().find(key);
        if (it != state().end())
            if (auto* s = dynamic_cast<capturable_adamw_state*>(it->second.get()))
                return *s;
        auto s = std::make_unique<capturable_adamw_state>();
        auto const scalar = torch::TensorOptions()
                                .dtype(detail::capturable_scalar_dtype(p.device()))
                                .device(p.device());
        if (it == state().end()) {
            s->step(0);
            s->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
            s->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        } else {
            auto const& a = static_cast<torch::optim::AdamWParamState const&>(*it->second);
            s->step(a.step());
            s->exp_avg(a.exp_avg());
            s->exp_avg_sq(a.exp_avg_sq());
            s->max_exp_avg_sq(a.max_exp_avg_sq());
        }
        s->device_step = torch::full({}, static_cast<double>(s->step()), scalar);
        auto& out = *s;
        state()[key] = std::move(s);
        return out;
    }
};

//! The step counts of `opt`'s capturable AdamW states (by state object), read from the
//! device in one transfer; empty for any other optimizer. For checkpoints: the host
//! counts fall behind when a captured step is replayed.
inline std::map<torch::optim::OptimizerParamState const*, std::int64_t>
device_step_counts(torch::optim::Optimizer const& opt) {
    std::vector<torch::optim::OptimizerParamState const*> owners;
    std::vector<torch::Tensor> steps;
    for (auto const& [key, s] : opt.state())
        if (auto const* a = dynamic_cast<capturable_adamw_state const*>(s.get());
            a && a->device_step.defined()) {
            owners.push_back(s.get());
            steps.push_back(a->device_step);
        }
    std::map<torch::optim::OptimizerParamState const*, std::int64_t> out;
    if (steps.empty())
        return out;
    auto const device = steps.front().device();
    for (auto& t : steps)
        t = t.to(device, torch::kFloat64);
    auto const counts = to_host(torch::stack(steps), torch::kInt64);
    auto const* c = counts.data_ptr<std::int64_t>();
    for (std::size_t i = 0; i < owners.size(); ++i)
        out[owners[i]] = c[i];
    return out;
}

} // namespace pipeline
