// The tensor side of the Loss<...> stage.
#pragma once

#include <torch/torch.h>

#include <pipeline/dsl/losses.hpp>

namespace pipeline {

//! `loss_function<L>::compute(logits, labels)`: mean loss over the batch.
template <class L>
struct loss_function {
    static torch::Tensor compute(torch::Tensor const& logits, torch::Tensor const& labels) {
        namespace F = torch::nn::functional;
        return F::cross_entropy(logits, labels,
                                F::CrossEntropyFuncOptions().label_smoothing(L::smoothing));
    }
};

//! Unsmoothed cross-entropy: the validation and test loss, comparable across losses.
inline torch::Tensor evaluation_loss(torch::Tensor const& logits,
                                     torch::Tensor const& labels) {
    return torch::nn::functional::cross_entropy(logits, labels);
}

} // namespace pipeline
