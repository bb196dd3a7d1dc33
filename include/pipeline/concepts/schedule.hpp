// Extension point: learning-rate schedules (the argument of Schedule<...>). Specification
// and concepts, in the manner of dlib's *_abstract.h headers. Torch-free.
//
// A schedule is two pieces:
//
//  1. A tag (type layer, dsl/schedules.hpp): an empty type deriving from `schedule_tag`,
//     with `static std::string name()` (the stage's arguments as written). Its
//     hyperparameters, if any, are a structural struct: the tag is then a class template
//     over it (`detail::cosine<CosineParams P>`), the user-facing name its default
//     (`using Cosine = detail::cosine<CosineParams{}>`), and it derives from
//     `tuned_by<cosine, P>` (dsl/tunable.hpp: `params_type`, `params`, `with<Q>`), so
//     that `Schedule<Cosine, {.warmup_epochs = 1}>` tunes it.
//
//  2. Its formula (train/schedule.hpp), a specialisation of `schedule_formula<S>`:
//       static double lr(double base_lr, schedule_clock const& clock);
//           the rate of step `clock.step` (from 0) of `clock.total_steps`, with
//           `clock.steps_per_epoch`: a closed form of the step, not a stateful
//           scheduler, so it is tested against torch's values and resumes exactly.
//     The loop sets every group's rate from it before each step (times the group's
//     factor, 0 while the group's block is frozen). The built-in schedules are numbers
//     in the experiment's specification (dsl/spec.hpp); a schedule of your own enters it
//     as the function `scheduled_by_formula<S>` below, which needs no tensor header.
#pragma once

#include <concepts>
#include <cstdint>
#include <string>

#include <pipeline/dsl/tags.hpp>

namespace pipeline {

//! Where training stands: step counts from 0.
struct schedule_clock {
    std::int64_t step = 0;
    std::int64_t steps_per_epoch = 1;
    std::int64_t total_steps = 1;
};

//! The formula of schedule S: specialised in train/schedule.hpp.
template <class S>
struct schedule_formula;

//! A complete schedule tag.
template <class S>
concept schedule_spec = is_schedule<S> && requires {
    { S::name() } -> std::convertible_to<std::string>;
};

//! A schedule whose formula is visible: `schedule_formula<S>::lr(base_lr, clock)`.
template <class S>
concept implemented_schedule = schedule_spec<S> && requires(schedule_clock const& c) {
    { schedule_formula<S>::lr(1.0, c) } -> std::convertible_to<double>;
};

//! The rate of schedule S at `clock` for the base rate `base_lr`: what a schedule of a
//! user's own contributes to the experiment's specification (dsl/spec.hpp).
template <class S>
double scheduled_by_formula(double base_lr, schedule_clock const& clock) {
    return schedule_formula<S>::lr(base_lr, clock);
}

} // namespace pipeline
