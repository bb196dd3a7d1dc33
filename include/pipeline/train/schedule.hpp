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
#include <pipeline/dsl/spec.hpp>

namespace pipeline {

template <>
struct schedule_formula<Constant> {
    static double lr(double base_lr, schedule_clock const&) { return base_lr; }
};

//! Cosine: linear warm-up to `base_lr` over `warmup_epochs` (reaching it on the last
//! warm-up step), then half a cosine from `base_lr` to `min_lr` over the remaining steps.
inline double cosine_lr(CosineParams const& P, double base_lr, schedule_clock const& c) {
    auto warmup =
        static_cast<std::int64_t>(std::llround(P.warmup_epochs * c.steps_per_epoch));
    warmup = std::min(warmup, c.total_steps);
    if (c.step < warmup)
        return base_lr * static_cast<double>(c.step + 1) / static_cast<double>(warmup);
    auto span = std::max<std::int64_t>(c.total_steps - warmup, 1);
    double t = std::clamp(static_cast<double>(c.step - warmup) / static_cast<double>(span),
                          0.0, 1.0);
    return P.min_lr + (base_lr - P.min_lr) * 0.5 * (1.0 + std::cos(std::numbers::pi * t));
}

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

//! OneCycle: torch.optim.lr_scheduler.OneCycleLR's formula (anneal_strategy 'cos',
//! three_phase False), with `base_lr` as max_lr.
inline double one_cycle_lr(OneCycleParams const& P, double base_lr,
                           schedule_clock const& c) {
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

//! Step: warm-up as Cosine's, then base_lr * gamma^floor(epoch / every_epochs) with the
//! epoch of the step counted from 0.
inline double step_lr(StepParams const& P, double base_lr, schedule_clock const& c) {
    auto const warmup = detail::warmup_steps(P.warmup_epochs, c);
    if (c.step < warmup)
        return base_lr * static_cast<double>(c.step + 1) / static_cast<double>(warmup);
    auto const epoch = c.step / std::max<std::int64_t>(c.steps_per_epoch, 1);
    return base_lr * std::pow(P.gamma, static_cast<double>(epoch / P.every_epochs));
}

template <CosineParams P>
struct schedule_formula<detail::cosine<P>> {
    static double lr(double base_lr, schedule_clock const& c) {
        return cosine_lr(P, base_lr, c);
    }
};

template <OneCycleParams P>
struct schedule_formula<detail::one_cycle<P>> {
    static double lr(double base_lr, schedule_clock const& c) {
        return one_cycle_lr(P, base_lr, c);
    }
};

template <StepParams P>
struct schedule_formula<detail::step_decay<P>> {
    static double lr(double base_lr, schedule_clock const& c) {
        return step_lr(P, base_lr, c);
    }
};

//! The learning rate of schedule S at `clock`, for a base rate `base_lr`.
template <class S>
double scheduled_lr(double base_lr, schedule_clock const& clock) {
    return schedule_formula<S>::lr(base_lr, clock);
}

//! The learning rate of the specification's Schedule stage at `clock`, for a base rate
//! `base_lr`.
inline double scheduled_lr(spec::schedule const& s, double base_lr,
                           schedule_clock const& clock) {
    switch (s.kind) {
    case spec::schedule_kind::constant:
        return base_lr;
    case spec::schedule_kind::cosine:
        return cosine_lr(s.cosine, base_lr, clock);
    case spec::schedule_kind::one_cycle:
        return one_cycle_lr(s.one_cycle, base_lr, clock);
    case spec::schedule_kind::step:
        return step_lr(s.step, base_lr, clock);
    case spec::schedule_kind::custom:
        break;
    }
    return s.lr(base_lr, clock);
}

} // namespace pipeline
