// Learning-rate schedules as closed forms of the step: LibTorch's C++ API has none of
// cosine or one-cycle, and a formula is easier to test and to resume than a stateful
// scheduler. The loop sets the rate before every step.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>

#include <pipeline/concepts/schedule.hpp>
#include <pipeline/dsl/schedules.hpp>

namespace pipeline {

//! Where training stands: step counts from 0.
struct schedule_clock {
    std::int64_t step = 0;
    std::int64_t steps_per_epoch = 1;
    std::int64_t total_steps = 1;
};

template <>
struct schedule_formula<Constant> {
    static double lr(double base_lr, schedule_clock const&) { return base_lr; }
};

template <CosineParams P>
struct schedule_formula<detail::cosine<P>> {
    //! Linear warm-up to `base_lr` over `warmup_epochs` (reaching it on the last warm-up
    //! step), then half a cosine from `base_lr` to `min_lr` over the remaining steps.
    static double lr(double base_lr, schedule_clock const& c) {
        auto warmup =
            static_cast<std::int64_t>(std::llround(P.warmup_epochs * c.steps_per_epoch));
        warmup = std::min(warmup, c.total_steps);
        if (c.step < warmup)
            return base_lr * static_cast<double>(c.step + 1) / static_cast<double>(warmup);
        auto span = std::max<std::int64_t>(c.total_steps - warmup, 1);
        double t = std::clamp(
            static_cast<double>(c.step - warmup) / static_cast<double>(span), 0.0, 1.0);
        return P.min_lr
               + (base_lr - P.min_lr) * 0.5 * (1.0 + std::cos(std::numbers::pi * t));
    }
};

namespace detail {
//! Linear warm-up steps of `epochs` epochs, at most the whole run.
inline std::int64_t warmup_steps(double epochs, schedule_clock const& c) {
    auto w = static_cast<std::int64_t>(std::llround(epochs * c.steps_per_epoch));
    return std::min(w, c.total_steps);
}

inline double anneal_cos(double start, double end, double pct) {
    return end + (start - end) / 2.0 * (std::cos(std::numbers::pi * pct) + 1.0);
}
} // namespace detail

template <OneCycleParams P>
struct schedule_formula<detail::one_cycle<P>> {
    //! torch.optim.lr_scheduler.OneCycleLR's formula (anneal_strategy 'cos',
    //! three_phase False), with `base_lr` as max_lr.
    static double lr(double base_lr, schedule_clock const& c) {
        double const initial = base_lr / P.div_factor;
        double const final_lr = initial / P.final_div_factor;
        double const end_up = P.pct_start * static_cast<double>(c.total_steps) - 1.0;
        double const end_down = static_cast<double>(c.total_steps) - 1.0;
        auto const step = static_cast<double>(c.step);
        if (step <= end_up)
            return detail::anneal_cos(initial, base_lr, end_up > 0.0 ? step / end_up : 1.0);
        double const span = end_down - end_up;
        double const pct = span > 0.0 ? std::min((step - end_up) / span, 1.0) : 1.0;
        return detail::anneal_cos(base_lr, final_lr, pct);
    }
};

template <StepParams P>
struct schedule_formula<detail::step_decay<P>> {
    //! Warm-up as Cosine's, then base_lr * gamma^floor(epoch / every_epochs) with the
    //! epoch of the step counted from 0.
    static double lr(double base_lr, schedule_clock const& c) {
        auto const warmup = detail::warmup_steps(P.warmup_epochs, c);
        if (c.step < warmup)
            return base_lr * static_cast<double>(c.step + 1) / static_cast<double>(warmup);
        auto const epoch = c.step / std::max<std::int64_t>(c.steps_per_epoch, 1);
        return base_lr * std::pow(P.gamma, static_cast<double>(epoch / P.every_epochs));
    }
};

//! The learning rate of schedule S at `clock`, for a base rate `base_lr`.
template <class S>
double scheduled_lr(double base_lr, schedule_clock const& clock) {
    return schedule_formula<S>::lr(base_lr, clock);
}

} // namespace pipeline
