// Learning-rate schedule tags. Names with defaults are types, tuned with the stage's
// second argument: `Schedule<Cosine>`, `Schedule<Cosine, {.warmup_epochs = 1}>`. The
// formulas live in pipeline/train/schedule.hpp; the learning rate is set every step, not
// every epoch.
#pragma once

#include <string>

#include <pipeline/dsl/fixed_string.hpp>
#include <pipeline/dsl/tags.hpp>
#include <pipeline/dsl/tunable.hpp>

namespace pipeline {

struct CosineParams {
    //! Linear warm-up from 0 over this many epochs (fractions allowed).
    double warmup_epochs = 0.0;
    //! The learning rate the cosine decays to (absolute, as timm's `min_lr`; scaled by each
    //! parameter group's factor like the base rate).
    double min_lr = 0.0;
};

struct OneCycleParams {
    //! Fraction of the run spent rising to the optimizer's rate (the peak).
    double pct_start = 0.3;
    //! The run starts at peak / div_factor ...
    double div_factor = 25.0;
    //! ... and ends at peak / div_factor / final_div_factor.
    double final_div_factor = 1e4;
};

struct StepParams {
    //! Multiply the rate by `gamma` every this many epochs.
    int every_epochs = 30;
    double gamma = 0.1;
    //! Linear warm-up from 0 over this many epochs (fractions allowed), as Cosine's.
    double warmup_epochs = 0.0;
};

namespace detail {

template <CosineParams P>
struct cosine : schedule_tag, tuned_by<cosine, P> {
    static_assert(P.warmup_epochs >= 0.0,
                  "pipeline: Schedule<Cosine, {.warmup_epochs}> must be >= 0");
    static_assert(P.min_lr >= 0.0, "pipeline: Schedule<Cosine, {.min_lr}> must be >= 0");
    static std::string name() {
        constexpr CosineParams d{};
        return tuned_name("Cosine",
                          field_printer{}("warmup_epochs", P.warmup_epochs,
                                          d.warmup_epochs)("min_lr", P.min_lr, d.min_lr)
                              .braced());
    }
};

template <OneCycleParams P>
struct one_cycle : schedule_tag, tuned_by<one_cycle, P> {
    static_assert(P.pct_start > 0.0 && P.pct_start < 1.0,
                  "pipeline: Schedule<OneCycle, {.pct_start}> needs 0 < pct_start < 1");
    static_assert(P.div_factor >= 1.0,
                  "pipeline: Schedule<OneCycle, {.div_factor}> must be >= 1");
    static_assert(P.final_div_factor >= 1.0,
                  "pipeline: Schedule<OneCycle, {.final_div_factor}> must be >= 1");
    static std::string name() {
        constexpr OneCycleParams d{};
        return tuned_name("OneCycle",
                          field_printer{}("pct_start", P.pct_start, d.pct_start)(
                              "div_factor", P.div_factor, d.div_factor)(
                              "final_div_factor", P.final_div_factor, d.final_div_factor)
                              .braced());
    }
};

template <StepParams P>
struct step_decay : schedule_tag, tuned_by<step_decay, P> {
    static_assert(P.every_epochs >= 1,
                  "pipeline: Schedule<Step, {.every_epochs}> must be >= 1");
    static_assert(P.gamma > 0.0 && P.gamma <= 1.0,
                  "pipeline: Schedule<Step, {.gamma}> needs 0 < gamma <= 1");
    static_assert(P.warmup_epochs >= 0.0,
                  "pipeline: Schedule<Step, {.warmup_epochs}> must be >= 0");
    static std::string name() {
        constexpr StepParams d{};
        return tuned_name("Step",
                          field_printer{}("every_epochs", P.every_epochs, d.every_epochs)(
                              "gamma", P.gamma, d.gamma)("warmup_epochs", P.warmup_epochs,
                                                         d.warmup_epochs)
                              .braced());
    }
};

} // namespace detail

//! Cosine decay from the optimizer's rate to `min_lr` over the whole run, after an
//! optional linear warm-up (SGDR without restarts; timm's `cosine`):
//! `Schedule<Cosine>`, `Schedule<Cosine, {.warmup_epochs = 1, .min_lr = 1e-5}>`.
using Cosine = detail::cosine<CosineParams{}>;

//! Smith's one-cycle policy as torch.optim.lr_scheduler.OneCycleLR (cosine annealing,
//! two phases): from peak / div_factor up to the optimizer's rate over `pct_start` of the
//! steps, then down to peak / (div_factor * final_div_factor) at the last step. Momentum
//! is not cycled: `Schedule<OneCycle>`, `Schedule<OneCycle, {.pct_start = 0.25}>`.
using OneCycle = detail::one_cycle<OneCycleParams{}>;

//! Step decay as torch.optim.lr_scheduler.StepLR: the optimizer's rate times
//! gamma^floor(epoch / every_epochs), epochs counted from 0, after an optional warm-up:
//! `Schedule<Step, {.every_epochs = 3, .gamma = 0.5}>`.
using Step = detail::step_decay<StepParams{}>;

//! The optimizer's learning rate, unchanged for the whole run.
struct Constant : schedule_tag, named<"Constant"> {};

} // namespace pipeline
