// The tensor side of the Loss<...> stage.
#pragma once

#include <string>

#include <torch/torch.h>

#include <pipeline/concepts/loss.hpp>
#include <pipeline/dsl/losses.hpp>
#include <pipeline/error.hpp>
#include <pipeline/shape_text.hpp>

namespace pipeline {

//! Cross-entropy against soft targets [B, K] (rows summing to 1), smoothed by `eps`:
//! mean over the batch of -sum_k t'_k log_softmax(z)_k with t' = t (1 - eps) + eps / K.
inline torch::Tensor soft_target_cross_entropy(torch::Tensor const& logits,
                                               torch::Tensor const& targets,
                                               double eps = 0.0) {
    if (targets.dim() != 2 || targets.sizes() != logits.sizes())
        throw error("soft targets",
                    "a [B, K] tensor matching the logits " + detail::shape_text(logits),
                    detail::shape_text(targets));
    auto t = eps > 0.0 ? targets * (1.0 - eps) + eps / static_cast<double>(logits.size(1))
                       : targets;
    return -(t * torch::log_softmax(logits, 1)).sum(1).mean();
}

//! `loss_function<L>::compute(logits, target)`: mean loss over the batch. `target` is
//! hard labels (int64 [B]) or, for losses that accept them, soft targets (float [B, K]).
template <class L>
struct loss_function {
    static torch::Tensor compute(torch::Tensor const& logits, torch::Tensor const& target) {
        namespace F = torch::nn::functional;
        if (target.dim() == 2) {
            if constexpr (!L::accepts_soft_targets)
                throw error("Loss<" + L::name() + ">", "hard labels (int64 [B])",
                            "soft targets " + detail::shape_text(target)
                                + "; use Loss<SoftTargetCE> or Loss<SmoothedCE<eps>>");
            else
                return soft_target_cross_entropy(logits, target, L::smoothing);
        }
        return F::cross_entropy(logits, target,
                                F::CrossEntropyFuncOptions().label_smoothing(L::smoothing));
    }
};

//! Unsmoothed cross-entropy: the validation and test loss, comparable across losses.
inline torch::Tensor evaluation_loss(torch::Tensor const& logits,
                                     torch::Tensor const& labels) {
    return torch::nn::functional::cross_entropy(logits, labels);
}

} // namespace pipeline
