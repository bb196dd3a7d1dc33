// The tensor side of the Optimizer<...> stage: LibTorch optimizers built from the type's
// hyperparameters, with two parameter groups per backbone block (`Layer3.decay`,
// `Layer3.no_decay`) so that each block has its own rate and BatchNorm and bias
// parameters get no weight decay (timm's and fastai's default).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <range/v3/numeric/accumulate.hpp>
#include <range/v3/view/transform.hpp>
#include <torch/torch.h>

#include <pipeline/compat.hpp>
#include <pipeline/concepts/optimizer.hpp>
#include <pipeline/dsl/optimizers.hpp>
#include <pipeline/dsl/spec.hpp>
#include <pipeline/train/multi_tensor.hpp>
#include <pipeline/train/transfer.hpp>

namespace pipeline {

//! A parameter group: named by its block (`Layer3.decay`, `Layer3.no_decay`), with a
//! factor on the scheduled rate and the first epoch at which it trains.
struct group_info {
    std::string name;
    std::string block;
    bool decay = true;
    double lr_factor = 1.0;
    std::int64_t parameters = 0;
    int trainable_from = 1;
};

struct built_optimizer {
    std::unique_ptr<torch::optim::Optimizer> optimizer;
    std::vector<group_info> groups;
    double base_lr = 0.0;
    //! The epoch the loop is in: groups of frozen blocks get a rate of 0.
    int epoch = 1;
    //! Whether steps use multi-tensor `_foreach_` kernels (capturable: rates and step
    //! counts read on the device).
    bool multi_tensor = false;

    //! Sets every group's rate to `lr` times the group's factor, 0 while it is frozen: the
    //! host option, and for a multi-tensor optimizer also the device tensor its step reads
    //! (`capturable_optimizer`; written without a read or a synchronisation).
    void set_lr(double lr) {
        auto* device = dynamic_cast<capturable_optimizer*>(optimizer.get());
        auto& pgs = optimizer->param_groups();
        for (std::size_t i = 0; i < pgs.size(); ++i) {
            if (device)
                device->set_group_lr(i, group_lr(i, lr));
            else
                pgs[i].options().set_lr(group_lr(i, lr));
        }
    }

    //! The rate group `i` gets when the schedule says `lr`.
    [[nodiscard]] double group_lr(std::size_t i, double lr) const {
        return epoch < groups[i].trainable_from ? 0.0 : lr * groups[i].lr_factor;
    }
};

namespace detail {
//! The device of the blocks' parameters (the CPU for a model without any).
inline torch::Device parameters_device(std::vector<block_parameters> const& blocks) {
    for (auto const& b : blocks)
        for (auto const* group : {&b.decay, &b.no_decay})
            if (!group->empty())
                return group->front().device();
    return torch::Device(torch::kCPU);
}

inline std::int64_t count_elements(std::vector<torch::Tensor> const& ts) {
    return ranges::accumulate(ts | ranges::views::transform(&torch::Tensor::numel),
                              std::int64_t{0});
}

//! The optimizer of `blocks`: two groups per block (decaying weights, then non-decaying
//! 1-d parameters), skipping empty ones, in block order, each with the options
//! `options(rate, decay)` gives; a `PerTensor` optimizer, or `MultiTensor` (its
//! capturable `_foreach_` twin, train/multi_tensor.hpp) when `multi_tensor` says so (by
//! default: on CUDA). Every group exists
//! from step 0, frozen or not, so the optimizer's layout never changes during a run.
template <class PerTensor, class MultiTensor, class Options>
built_optimizer make_grouped(std::vector<block_parameters> const& blocks, double lr,
                             std::optional<bool> multi_tensor, Options options) {
    bool const foreach =
        multi_tensor.value_or(compat::multi_tensor_optimizers(parameters_device(blocks)));
    std::vector<group_info> info;
    std::vector<torch::optim::OptimizerParamGroup> groups;
    for (auto const& b : blocks) {
        for (bool decay : {true, false}) {
            auto const& params = decay ? b.decay : b.no_decay;
            if (params.empty())
                continue;
            info.push_back({b.name + (decay ? ".decay" : ".no_decay"), b.name, decay,
                            b.lr_factor, count_elements(params), b.trainable_from});
            groups.emplace_back(params, std::make_unique<decltype(options(lr, decay))>(
                                            options(lr * b.lr_factor, decay)));
        }
    }
    std::unique_ptr<torch::optim::Optimizer> optimizer;
    if (foreach)
        optimizer = std::make_unique<MultiTensor>(std::move(groups), options(lr, true));
    else
        optimizer = std::make_unique<PerTensor>(std::move(groups), options(lr, true));
    return {std::move(optimizer), std::move(info), lr, 1, foreach};
}
} // namespace detail

//! SGD (torch.optim.SGD's arithmetic) with hyperparameters `p` over `blocks`' groups;
//! `multi_tensor`: step with `_foreach_` kernels (by default: on CUDA).
inline built_optimizer make_sgd(SgdParams const& p,
                                std::vector<block_parameters> const& blocks,
                                std::optional<bool> multi_tensor = std::nullopt) {
    auto options = [p](double lr, bool decay) {
        return torch::optim::SGDOptions(lr)
            .momentum(p.momentum)
            .nesterov(p.nesterov)
            .weight_decay(decay ? p.weight_decay : 0.0);
    };
    return detail::make_grouped<torch::optim::SGD, multi_tensor_sgd>(blocks, p.lr,
                                                                     multi_tensor, options);
}

//! AdamW (torch.optim.AdamW's arithmetic) with hyperparameters `p` over `blocks`' groups.
inline built_optimizer make_adamw(AdamWParams const& p,
                                  std::vector<block_parameters> const& blocks,
                                  std::optional<bool> multi_tensor = std::nullopt) {
    auto options = [p](double lr, bool decay) {
        return torch::optim::AdamWOptions(lr)
            .betas({p.beta1, p.beta2})
            .eps(p.eps)
            .weight_decay(decay ? p.weight_decay : 0.0);
    };
    return detail::make_grouped<torch::optim::AdamW, multi_tensor_adamw>(
        blocks, p.lr, multi_tensor, options);
}

template <SgdParams P>
struct optimizer_builder<detail::sgd<P>> {
    static constexpr double weight_decay = P.weight_decay;

    //! `multi_tensor`: step with `_foreach_` kernels (the default on CUDA).
    static built_optimizer make(std::vector<block_parameters> const& blocks,
                                std::optional<bool> multi_tensor = std::nullopt) {
        return make_sgd(P, blocks, multi_tensor);
    }
};

template <AdamWParams P>
struct optimizer_builder<detail::adamw<P>> {
    static constexpr double weight_decay = P.weight_decay;

    //! `multi_tensor`: step with `_foreach_` kernels (the default on CUDA).
    static built_optimizer make(std::vector<block_parameters> const& blocks,
                                std::optional<bool> multi_tensor = std::nullopt) {
        return make_adamw(P, blocks, multi_tensor);
    }
};

//! Optimizer O's builder as the core calls it: what an optimizer of the user's own
//! contributes to the experiment's specification.
template <class O>
struct erased_optimizer {
    static built_optimizer make(std::vector<block_parameters> const& blocks,
                                std::optional<bool> multi_tensor) {
        return optimizer_builder<O>::make(blocks, multi_tensor);
    }
};

namespace builtin {
template <spec::optimizer_kind K>
built_optimizer make_optimizer(spec::optimizer const& o,
                               std::vector<block_parameters> const& blocks,
                               std::optional<bool> multi_tensor) {
    if constexpr (K == spec::optimizer_kind::sgd)
        return make_sgd(o.sgd, blocks, multi_tensor);
    else if constexpr (K == spec::optimizer_kind::adamw)
        return make_adamw(o.adamw, blocks, multi_tensor);
    else
        return o.make(blocks, multi_tensor);
}
} // namespace builtin

//! The optimizer of the specification's Optimizer stage over `blocks`' groups.
inline built_optimizer make_optimizer(spec::optimizer const& o,
                                      std::vector<block_parameters> const& blocks,
                                      std::optional<bool> multi_tensor = std::nullopt) {
    using enum spec::optimizer_kind;
    if (o.kind == custom)
        return o.make(blocks, multi_tensor);
#if defined(PIPELINE_HEADER_ONLY)
    return detail::named_code(o.builtin_make, "its optimizer")(o, blocks, multi_tensor);
#else
    if (o.kind == sgd)
        return builtin::make_optimizer<sgd>(o, blocks, multi_tensor);
    return builtin::make_optimizer<adamw>(o, blocks, multi_tensor);
#endif
}

} // namespace pipeline
