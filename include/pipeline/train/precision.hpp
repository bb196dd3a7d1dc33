// The tensor side of the Precision<...> stage: autocast around forward and loss, and
// FP16's dynamic loss scaling.
//
// `autocast_scope` is Python's `torch.autocast(device, dtype)` context manager: it turns
// autocast on for the device type with the stage's dtype, counts the nesting, and when the
// outermost scope exits clears autocast's weight cache. The cache keeps the bf16/fp16 copy
// of each weight made during a forward; the optimizer then updates the float32 weight in
// place (the same tensor, so the same cache key), and a step that found the cache still
// full would compute with last step's weights. The loop opens one scope per micro-batch's
// forward and loss and one per evaluation pass.
//
// `grad_scaler` is torch.amp.GradScaler: the loss is multiplied by the scale before
// backward; before the update the gradients are divided by it and checked for inf/NaN
// (one fused kernel where the build has it: `_amp_foreach_non_finite_check_and_unscale_`);
// a step with a non-finite gradient is skipped and the scale backs off, and after
// `growth_interval` clean steps it grows (`_amp_update_scale_`). The scale and the count
// of clean steps stay on the device. Deciding to skip a step reads one value on the host,
// as GradScaler.step does: FP16 costs one synchronisation per step, BF16 (the range of
// float32, nothing to scale) none.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <torch/torch.h>

#include <pipeline/compat.hpp>
#include <pipeline/dsl/precision.hpp>
#include <pipeline/error.hpp>
#include <pipeline/host_read.hpp>

namespace pipeline {

//! The dtype autocast casts to under `p` (float32 for FP32).
[[nodiscard]] inline torch::ScalarType autocast_type(PrecisionParams const& p) {
    switch (p.kind) {
    case precision_kind::bf16:
        return torch::kBFloat16;
    case precision_kind::fp16:
        return torch::kHalf;
    case precision_kind::fp32:
        break;
    }
    return torch::kFloat32;
}

//! The stage's name as a run prints it.
[[nodiscard]] inline std::string precision_name(PrecisionParams const& p) {
    switch (p.kind) {
    case precision_kind::bf16:
        return "BF16";
    case precision_kind::fp16:
        return "FP16";
    case precision_kind::fp32:
        break;
    }
    return "FP32";
}

//! Checks that `p` can run on `device`: FP16 autocast is CUDA's (LibTorch's CPU autocast
//! computes in bfloat16 only). Throws one error naming the fix.
inline void check_precision(PrecisionParams const& p, torch::Device const& device) {
    if (p.kind == precision_kind::fp16 && !device.is_cuda())
        throw error("Precision<FP16>", "a CUDA device (float16 autocast is CUDA's)",
                    "device " + device.str()
                        + "; on the CPU use Precision<BF16>, or run with --device cuda");
    if (p.autocast() && !device.is_cuda() && !device.is_cpu())
        throw error("Precision<" + precision_name(p) + ">", "a CPU or CUDA device",
                    "device " + device.str());
}

//! Autocast on `device`'s type with `p`'s dtype for the scope's lifetime (nothing for
//! FP32), as `with torch.autocast(...)`: nesting counted, the weight cache cleared when
//! the outermost scope exits, the previous state put back.
class autocast_scope {
public:
    autocast_scope(torch::Device const& device, PrecisionParams const& p)
        : active_(p.autocast())
        , type_(device.type()) {
        if (!active_)
            return;
        was_enabled_ = compat::autocast_enabled(type_);
        was_dtype_ = compat::autocast_dtype(type_);
        compat::set_autocast_enabled(type_, true);
        compat::set_autocast_dtype(type_, autocast_type(p));
        at::autocast::increment_nesting();
    }
    autocast_scope(autocast_scope const&) = delete;
    autocast_scope& operator=(autocast_scope const&) = delete;
    ~autocast_scope() {
        if (!active_)
            return;
        if (at::autocast::decrement_nesting() == 0)
            at::autocast::clear_cache();
        compat::set_autocast_enabled(type_, was_enabled_);
        compat::set_autocast_dtype(type_, was_dtype_);
    }

private:
    bool active_;
    torch::DeviceType type_;
    bool was_enabled_ = false;
    torch::ScalarType was_dtype_ = torch::kFloat32;
};

//! FP16's dynamic loss scale (torch.amp.GradScaler's rule, GradScalerParams' values).
//! Disabled (every call a no-op, every step taken) for BF16 and FP32.
class grad_scaler {
public:
    //! `fused`: use the fused ATen kernels (by default where the build has them on
    //! `device`), else the same arithmetic op by op.
    grad_scaler(PrecisionParams const& p, torch::Device const& device,
                std::optional<bool> fused = std::nullopt)
        : enabled_(p.kind == precision_kind::fp16)
        , p_(p.scaler)
        , fused_(fused.value_or(compat::fused_loss_scaling(device))) {
        auto const f = torch::TensorOptions().dtype(torch::kFloat32).device(device);
        scale_ = torch::full({1}, p_.init_scale, f);
        growth_tracker_ = torch::zeros({1}, f.dtype(torch::kInt32));
        found_inf_ = torch::zeros({1}, f);
    }

    [[nodiscard]] bool enabled() const { return enabled_; }

    //! `loss` times the scale (the loss itself when disabled).
    [[nodiscard]] torch::Tensor scale(torch::Tensor const& loss) const {
        return enabled_ ? loss * scale_.reshape({}).to(loss.scalar_type()) : loss;
    }

    //! Divides the gradients of `params` by the scale in place and records whether any
    //! is inf or NaN. Call once per step, after backward (and any all-reduce), before
    //! clipping.
    void unscale(std::vector<torch::Tensor> const& params) {
        if (!enabled_)
            return;
        torch::NoGradGuard no_grad;
        found_inf_.zero_();
        std::vector<torch::Tensor> grads;
        for (auto const& p : params)
            if (p.grad().defined())
                grads.push_back(p.grad());
        if (grads.empty())
            return;
        auto const inv_scale = scale_.reciprocal();
        if (fused_) {
            at::_amp_foreach_non_finite_check_and_unscale_(grads, found_inf_, inv_scale);
            return;
        }
        // The same arithmetic op by op (LibTorch before 2.3 has no CPU kernel).
        std::vector<torch::Tensor> finite;
        for (auto& g : grads) {
            g.mul_(inv_scale.to(g.scalar_type()));
            finite.push_back(torch::isfinite(g).all());
        }
        found_inf_.copy_(
            torch::logical_not(torch::stack(finite).all()).to(torch::kFloat32));
    }

    //! Whether the last `unscale` found a non-finite gradient (one host read).
    [[nodiscard]] bool found_inf() const {
        return enabled_ && host_value<float>(found_inf_) != 0.0f;
    }

    //! After a step: backs the scale off if the step found an inf/NaN (and resets the run
    //! of clean steps), else counts the clean step and grows the scale after
    //! `growth_interval` of them. Device arithmetic only.
    void update() {
        if (!enabled_)
            return;
        torch::NoGradGuard no_grad;
        if (fused_) {
            at::_amp_update_scale_(scale_, growth_tracker_, found_inf_, p_.growth_factor,
                                   p_.backoff_factor, p_.growth_interval);
            return;
        }
        auto const overflow = found_inf_ > 0;
        auto const clean =
            torch::where(overflow, torch::zeros_like(growth_tracker_), growth_tracker_ + 1);
        auto const grow = clean >= p_.growth_interval;
        auto const grown = scale_ * p_.growth_factor;
        scale_.copy_(torch::where(
            overflow, scale_ * p_.backoff_factor,
            torch::where(torch::logical_and(grow, torch::isfinite(grown)), grown, scale_)));
        growth_tracker_.copy_(torch::where(grow, torch::zeros_like(clean), clean));
    }

    //! The scale and the count of clean steps since the last change (device tensors: a
    //! checkpoint saves and restores them in place).
    [[nodiscard]] torch::Tensor const& scale_tensor() const { return scale_; }
    [[nodiscard]] torch::Tensor const& growth_tracker() const { return growth_tracker_; }
    //! The checkpoint's tensors of the scaler (none when disabled).
    [[nodiscard]] std::vector<std::pair<std::string, torch::Tensor>> state() const {
        if (!enabled_)
            return {};
        return {{"grad_scaler.scale", scale_},
                {"grad_scaler.growth_tracker", growth_tracker_}};
    }

private:
    bool enabled_;
    GradScalerParams p_;
    bool fused_;
    torch::Tensor scale_;
    torch::Tensor growth_tracker_;
    torch::Tensor found_inf_;
};

} // namespace pipeline
