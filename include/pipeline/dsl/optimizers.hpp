// Optimizer tags. Names with defaults are types, tuned with the stage's second argument:
// `Optimizer<SGD>`, `Optimizer<SGD, {.lr = 0.1, .momentum = 0.9}>`, so each change shows
// in the pipeline's name.
#pragma once

#include <string>

#include <pipeline/dsl/fixed_string.hpp>
#include <pipeline/dsl/tags.hpp>
#include <pipeline/dsl/tunable.hpp>

namespace pipeline {

struct SgdParams {
    double lr = 0.05;
    double momentum = 0.9;
    bool nesterov = true;
    double weight_decay = 5e-4;
};

struct AdamWParams {
    double lr = 1e-3;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    double weight_decay = 0.05;
};

namespace detail {

template <SgdParams P>
struct sgd : optimizer_tag, tuned_by<sgd, P> {
    static_assert(P.lr > 0.0,
                  "pipeline: Optimizer<SGD, {.lr}> needs a positive learning rate");
    static_assert(P.momentum >= 0.0 && P.momentum < 1.0,
                  "pipeline: Optimizer<SGD, {.momentum}> needs 0 <= momentum < 1");
    static_assert(P.weight_decay >= 0.0,
                  "pipeline: Optimizer<SGD, {.weight_decay}> must be >= 0");
    static_assert(!P.nesterov || P.momentum > 0.0,
                  "pipeline: Optimizer<SGD, {.nesterov = true}> needs momentum > 0 (set "
                  ".nesterov = false or give a momentum)");
    static constexpr double lr = P.lr;
    static std::string name() {
        constexpr SgdParams d{};
        return tuned_name(
            "SGD", field_printer{}("lr", P.lr, d.lr)("momentum", P.momentum, d.momentum)(
                       "nesterov", P.nesterov, d.nesterov)("weight_decay", P.weight_decay,
                                                           d.weight_decay)
                       .braced());
    }
};

template <AdamWParams P>
struct adamw : optimizer_tag, tuned_by<adamw, P> {
    static_assert(P.lr > 0.0,
                  "pipeline: Optimizer<AdamW, {.lr}> needs a positive learning rate");
    static_assert(P.beta1 >= 0.0 && P.beta1 < 1.0 && P.beta2 >= 0.0 && P.beta2 < 1.0,
                  "pipeline: Optimizer<AdamW, {.beta1, .beta2}> need 0 <= beta < 1");
    static_assert(P.eps > 0.0, "pipeline: Optimizer<AdamW, {.eps}> must be > 0");
    static_assert(P.weight_decay >= 0.0,
                  "pipeline: Optimizer<AdamW, {.weight_decay}> must be >= 0");
    static constexpr double lr = P.lr;
    static std::string name() {
        constexpr AdamWParams d{};
        return tuned_name("AdamW",
                          field_printer{}("lr", P.lr, d.lr)("beta1", P.beta1, d.beta1)(
                              "beta2", P.beta2, d.beta2)("eps", P.eps, d.eps)(
                              "weight_decay", P.weight_decay, d.weight_decay)
                              .braced());
    }
};

} // namespace detail

//! Stochastic gradient descent with (Nesterov) momentum and L2 weight decay, as
//! torch.optim.SGD: `Optimizer<SGD>` (the default optimizer),
//! `Optimizer<SGD, {.lr = 0.1, .momentum = 0.9}>`.
using SGD = detail::sgd<SgdParams{}>;

//! Adam with decoupled weight decay (Loshchilov & Hutter), as torch.optim.AdamW:
//! `Optimizer<AdamW>`, `Optimizer<AdamW, {.lr = 3e-4, .weight_decay = 0.01}>`.
using AdamW = detail::adamw<AdamWParams{}>;

} // namespace pipeline
