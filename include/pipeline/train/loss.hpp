// The tensor side of the Loss<...> stage: the cross-entropy family, and the interface a
// loss of the user's own enters the compiled core through.
#pragma once

#include <memory>
#include <string>

#include <torch/torch.h>

#include <pipeline/concepts/loss.hpp>
#include <pipeline/dsl/losses.hpp>
#include <pipeline/dsl/spec.hpp>
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

//! The cross-entropy family (CrossEntropy, SoftTargetCE, SmoothedCE<eps>) by its numbers:
//! label smoothing `smoothing`, and whether soft targets are accepted (`name` is the loss
//! as printed, for the error when they are not).
inline torch::Tensor cross_entropy_loss(torch::Tensor const& logits,
                                        torch::Tensor const& target, double smoothing,
                                        bool accepts_soft_targets,
                                        std::string const& name) {
    namespace F = torch::nn::functional;
    if (target.dim() == 2) {
        if (!accepts_soft_targets)
            throw error("Loss<" + name + ">", "hard labels (int64 [B])",
                        "soft targets " + detail::shape_text(target)
                            + "; use Loss<SoftTargetCE> or Loss<SmoothedCE<eps>>");
        return soft_target_cross_entropy(logits, target, smoothing);
    }
    return F::cross_entropy(logits, target,
                            F::CrossEntropyFuncOptions().label_smoothing(smoothing));
}

//! `loss_function<L>::compute(logits, target)`: mean loss over the batch. `target` is
//! hard labels (int64 [B]) or, for losses that accept them, soft targets (float [B, K]).
//! The primary template is the cross-entropy family read from L's `smoothing` and
//! `accepts_soft_targets`; a loss with other arithmetic specialises it.
template <class L>
struct loss_function {
    static torch::Tensor compute(torch::Tensor const& logits, torch::Tensor const& target) {
        return cross_entropy_loss(logits, target, L::smoothing, L::accepts_soft_targets,
                                  L::name());
    }
};

//! A loss as the core runs it: the training loss of a batch.
class loss_op {
public:
    virtual ~loss_op() = default;
    virtual torch::Tensor compute(torch::Tensor const& logits,
                                  torch::Tensor const& target) = 0;
};

//! Loss L (its `loss_function<L>`) behind `loss_op`: what a loss of the user's own
//! contributes to the experiment's specification.
template <class L>
struct erased_loss {
    static std::unique_ptr<loss_op> make() {
        struct op final : loss_op {
            torch::Tensor compute(torch::Tensor const& logits,
                                  torch::Tensor const& target) override {
                return loss_function<L>::compute(logits, target);
            }
        };
        return std::make_unique<op>();
    }
};

//! The specification's Loss stage, ready to compute: the cross-entropy family by its
//! numbers, a loss of the user's own through its `loss_op`.
class training_loss {
public:
    explicit training_loss(spec::loss const& l)
        : spec_(l)
        , name_(l.name())
        , custom_(l.kind == spec::loss_kind::custom ? l.make() : nullptr) {}

    torch::Tensor operator()(torch::Tensor const& logits,
                             torch::Tensor const& target) const {
        if (custom_)
            return custom_->compute(logits, target);
        return cross_entropy_loss(logits, target, spec_.smoothing,
                                  spec_.accepts_soft_targets, name_);
    }

private:
    spec::loss spec_;
    std::string name_;
    std::shared_ptr<loss_op> custom_;
};

//! Unsmoothed cross-entropy: the validation and test loss, comparable across losses.
inline torch::Tensor evaluation_loss(torch::Tensor const& logits,
                                     torch::Tensor const& labels) {
    return torch::nn::functional::cross_entropy(logits, labels);
}

} // namespace pipeline
