// Optimizer tags: hyperparameters are designated initialisers in the type,
// `SGD<{.lr = 0.1, .momentum = 0.9}>`, so each change shows in the pipeline's name.
#pragma once

#include <string>

#include <pipeline/dsl/fixed_string.hpp>
#include <pipeline/dsl/tags.hpp>

namespace pipeline {

struct SgdParams {
    double lr = 0.05;
    double momentum = 0.9;
    bool nesterov = true;
    double weight_decay = 5e-4;
};

//! Stochastic gradient descent with (Nesterov) momentum and decoupled-from-nothing L2
//! weight decay, as torch.optim.SGD. `SGD<>` is the documented default optimizer.
template <SgdParams P = SgdParams{}>
struct SGD : optimizer_tag {
    static_assert(P.lr > 0.0, "pipeline: SGD<{.lr}> needs a positive learning rate");
    static_assert(P.momentum >= 0.0 && P.momentum < 1.0,
                  "pipeline: SGD<{.momentum}> needs 0 <= momentum < 1");
    static_assert(P.weight_decay >= 0.0, "pipeline: SGD<{.weight_decay}> must be >= 0");
    static_assert(!P.nesterov || P.momentum > 0.0,
                  "pipeline: SGD<{.nesterov = true}> needs momentum > 0 (set "
                  ".nesterov = false or give a momentum)");
    static constexpr SgdParams params = P;
    static constexpr double lr = P.lr;
    static std::string name() {
        constexpr SgdParams d{};
        return "SGD<"
               + detail::field_printer{}("lr", P.lr, d.lr)("momentum", P.momentum,
                                                           d.momentum)(
                     "nesterov", P.nesterov, d.nesterov)("weight_decay", P.weight_decay,
                                                         d.weight_decay)
                     .braced()
               + ">";
    }
};

struct AdamWParams {
    double lr = 1e-3;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    double weight_decay = 0.05;
};

//! Adam with decoupled weight decay (Loshchilov & Hutter), as torch.optim.AdamW.
template <AdamWParams P = AdamWParams{}>
struct AdamW : optimizer_tag {
    static_assert(P.lr > 0.0, "pipeline: AdamW<{.lr}> needs a positive learning rate");
    static_assert(P.beta1 >= 0.0 && P.beta1 < 1.0 && P.beta2 >= 0.0 && P.beta2 < 1.0,
                  "pipeline: AdamW<{.beta1, .beta2}> need 0 <= beta < 1");
    static_assert(P.eps > 0.0, "pipeline: AdamW<{.eps}> must be > 0");
    static_assert(P.weight_decay >= 0.0, "pipeline: AdamW<{.weight_decay}> must be >= 0");
    static constexpr AdamWParams params = P;
    static constexpr double lr = P.lr;
    static std::string name() {
        constexpr AdamWParams d{};
        return "AdamW<"
               + detail::field_printer{}("lr", P.lr, d.lr)("beta1", P.beta1, d.beta1)(
                     "beta2", P.beta2, d.beta2)("eps", P.eps, d.eps)(
                     "weight_decay", P.weight_decay, d.weight_decay)
                     .braced()
               + ">";
    }
};

} // namespace pipeline
