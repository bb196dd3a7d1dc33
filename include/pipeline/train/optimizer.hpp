// The tensor side of the Optimizer<...> stage: LibTorch optimizers built from the type's
// hyperparameters, with two parameter groups per backbone block (`Layer3.decay`,
// `Layer3.no_decay`) so that each block has its own rate and BatchNorm and bias
// parameters get no weight decay (timm's and fastai's default).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include <pipeline/compat.hpp>
#include <pipeline/dsl/optimizers.hpp>
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
    //! Whether steps use multi-tensor `_foreach_` kernels.
    bool multi_tensor = false;

    //! Sets every group's rate to `lr` times the group's factor, 0 while it is frozen.
    void set_lr(double lr) {
        auto& pgs = optimizer->param_groups();
        for (std::size_t i = 0; i < pgs.size(); ++i)
            pgs[i].options().set_lr(group_lr(i, lr));
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
    std::int64_t n = 0;
    for (auto const& t : ts)
        n += t.numel();
    return n;
}

//! Two groups per block (decaying weights, then non-decaying 1-d parameters), skipping
//! empty ones, in block order. Every group exists from step 0, frozen or not, so the
//! optimizer's layout never changes during a run.
built_optimizer make_grouped(std::vector<block_parameters> const& blocks, double lr,
                             auto make_options, auto make_optimizer) {
    std::vector<group_info> info;
    std::vector<torch::optim::OptimizerParamGroup> groups;
    for (auto const& b : blocks) {
        for (bool decay : {true, false}) {
            auto const& params = decay ? b.decay : b.no_decay;
            if (params.empty())
                continue;
            info.push_back({b.name + (decay ? ".decay" : ".no_decay"), b.name, decay,
                            b.lr_factor, count_elements(params), b.trainable_from});
            groups.emplace_back(params, make_options(lr * b.lr_factor, decay));
        }
    }
    return {make_optimizer(std::move(groups)), std::move(info), lr};
}
} // namespace detail

template <class O>
struct optimizer_builder;

template <SgdParams P>
struct optimizer_builder<SGD<P>> {
    static constexpr double weight_decay = P.weight_decay;

    static torch::optim::SGDOptions options(double lr, bool decay) {
        return torch::optim::SGDOptions(lr)
            .momentum(P.momentum)
            .nesterov(P.nesterov)
            .weight_decay(decay ? P.weight_decay : 0.0);
    }

    //! `multi_tensor`: step with `_foreach_` kernels (the default on CUDA).
    static built_optimizer make(std::vector<block_parameters> const& blocks,
                                std::optional<bool> multi_tensor = std::nullopt) {
        bool const foreach = multi_tensor.value_or(
            compat::multi_tensor_optimizers(detail::parameters_device(blocks)));
        auto built = detail::make_grouped(
            blocks, P.lr,
            [](double lr, bool decay) {
                return std::make_unique<torch::optim::SGDOptions>(options(lr, decay));
            },
            [&](auto groups) -> std::unique_ptr<torch::optim::Optimizer> {
                if (foreach)
                    return std::make_unique<multi_tensor_sgd>(std::move(groups),
                                                              options(P.lr, true));
                return std::make_unique<torch::optim::SGD>(std::move(groups),
                                                           options(P.lr, true));
            });
        built.multi_tensor = foreach;
        return built;
    }
};

template <AdamWParams P>
struct optimizer_builder<AdamW<P>> {
    static constexpr double weight_decay = P.weight_decay;

    static torch::optim::AdamWOptions options(double lr, bool decay) {
        return torch::optim::AdamWOptions(lr)
            .betas({P.beta1, P.beta2})
            .eps(P.eps)
            .weight_decay(decay ? P.weight_decay : 0.0);
    }

    //! `multi_tensor`: step with `_foreach_` kernels (the default on CUDA).
    static built_optimizer make(std::vector<block_parameters> const& blocks,
                                std::optional<bool> multi_tensor = std::nullopt) {
        bool const foreach = multi_tensor.value_or(
            compat::multi_tensor_optimizers(detail::parameters_device(blocks)));
        auto built = detail::make_grouped(
            blocks, P.lr,
            [](double lr, bool decay) {
                return std::make_unique<torch::optim::AdamWOptions>(options(lr, decay));
            },
            [&](auto groups) -> std::unique_ptr<torch::optim::Optimizer> {
                if (foreach)
                    return std::make_unique<multi_tensor_adamw>(std::move(groups),
                                                                options(P.lr, true));
                return std::make_unique<torch::optim::AdamW>(std::move(groups),
                                                             options(P.lr, true));
            });
        built.multi_tensor = foreach;
        return built;
    }
};

} // namespace pipeline
