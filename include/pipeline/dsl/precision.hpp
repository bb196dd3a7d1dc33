// The Precision<...> stage: the number format the training step and the evaluation passes
// compute in. `Precision<BF16>` runs forward and loss under autocast to bfloat16 (what
// Python's `torch.autocast(device, torch.bfloat16)` does: matrix products and
// convolutions in bf16, reductions, BatchNorm statistics and the loss in float32; the
// weights, gradients and optimizer state stay float32); `Precision<FP16>` the same in
// float16 with dynamic loss scaling (torch.amp.GradScaler's rule), tuned as
// `Precision<FP16, {.growth_interval = 1000}>`; `Precision<FP32>` (the default) none.
// Torch-free: train/precision.hpp is the tensor side.
#pragma once

#include <string>
#include <type_traits>

#include <pipeline/dsl/fixed_string.hpp>
#include <pipeline/dsl/tunable.hpp>

namespace pipeline {

//! The number formats a Precision stage names.
enum class precision_kind { fp32, bf16, fp16 };

//! FP16's dynamic loss scaling, as torch.amp.GradScaler (the same defaults): the loss is
//! multiplied by `scale` before backward; a step whose gradients hold an inf or NaN is
//! skipped and the scale multiplied by `backoff_factor`; after `growth_interval` clean
//! steps in a row it is multiplied by `growth_factor`.
struct GradScalerParams {
    double init_scale = 65536.0;
    double growth_factor = 2.0;
    double backoff_factor = 0.5;
    int growth_interval = 2000;
};

//! What the core reads of a Precision stage.
struct PrecisionParams {
    precision_kind kind = precision_kind::fp32;
    GradScalerParams scaler{};

    //! Whether the step and the evaluation passes run under autocast.
    [[nodiscard]] constexpr bool autocast() const { return kind != precision_kind::fp32; }
};

//! Marks the number formats Precision<...> takes.
struct precision_tag {};

//! Float32 throughout: no autocast (the default without a Precision stage).
struct FP32 : precision_tag {
    static constexpr PrecisionParams precision{};
    static std::string name() { return "FP32"; }
};

//! Autocast to bfloat16: float32's range, so no loss scaling. The fast format of A100,
//! H100 and recent CPUs.
struct BF16 : precision_tag {
    static constexpr PrecisionParams precision{precision_kind::bf16};
    static std::string name() { return "BF16"; }
};

namespace detail {
template <GradScalerParams P>
struct fp16 : precision_tag, tuned_by<fp16, P> {
    static_assert(P.init_scale > 0.0,
                  "pipeline: Precision<FP16, {.init_scale}> must be > 0 (GradScaler starts "
                  "at 65536)");
    static_assert(P.growth_factor > 1.0,
                  "pipeline: Precision<FP16, {.growth_factor}> must be > 1 (the scale "
                  "grows after a run of clean steps)");
    static_assert(P.backoff_factor > 0.0 && P.backoff_factor < 1.0,
                  "pipeline: Precision<FP16, {.backoff_factor}> must be in (0, 1) (the "
                  "scale shrinks after an overflow)");
    static_assert(P.growth_interval >= 1,
                  "pipeline: Precision<FP16, {.growth_interval}> must be at least 1 step");
    static constexpr PrecisionParams precision{precision_kind::fp16, P};
    static std::string name() {
        constexpr GradScalerParams d{};
        return tuned_name("FP16",
                          field_printer{}("init_scale", P.init_scale, d.init_scale)(
                              "growth_factor", P.growth_factor, d.growth_factor)(
                              "backoff_factor", P.backoff_factor, d.backoff_factor)(
                              "growth_interval", P.growth_interval, d.growth_interval)
                              .braced());
    }
};
} // namespace detail

//! Autocast to float16 with dynamic loss scaling (CUDA only: a run on the CPU stops with
//! an error). Tuned as `Precision<FP16, {.init_scale = 1024}>`.
using FP16 = detail::fp16<GradScalerParams{}>;

template <class T>
inline constexpr bool is_precision = std::is_base_of_v<precision_tag, T>;

} // namespace pipeline
