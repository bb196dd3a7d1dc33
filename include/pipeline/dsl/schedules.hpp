// Learning-rate schedule tags. The formulas live in pipeline/train/schedule.hpp; the
// learning rate is set every step, not every epoch.
#pragma once

#include <string>

#include <pipeline/dsl/fixed_string.hpp>
#include <pipeline/dsl/tags.hpp>

namespace pipeline {

struct CosineParams {
    //! Linear warm-up from 0 over this many epochs (fractions allowed).
    double warmup_epochs = 0.0;
    //! The learning rate the cosine decays to (absolute, as timm's `min_lr`; scaled by each
    //! parameter group's factor like the base rate).
    double min_lr = 0.0;
};

//! Cosine decay from the optimizer's rate to `min_lr` over the whole run,
//! after an optional linear warm-up (SGDR without restarts; timm's `cosine`).
template <CosineParams P = CosineParams{}>
struct Cosine : schedule_tag {
    static_assert(P.warmup_epochs >= 0.0,
                  "pipeline: Cosine<{.warmup_epochs}> must be >= 0");
    static_assert(P.min_lr >= 0.0, "pipeline: Cosine<{.min_lr}> must be >= 0");
    static constexpr CosineParams params = P;
    static std::string name() {
        constexpr CosineParams d{};
        return "Cosine<"
               + detail::field_printer{}("warmup_epochs", P.warmup_epochs,
                                         d.warmup_epochs)("min_lr", P.min_lr, d.min_lr)
                     .braced()
               + ">";
    }
};

//! The optimizer's learning rate, unchanged for the whole run.
struct Constant : schedule_tag, named<"Constant"> {};

} // namespace pipeline
