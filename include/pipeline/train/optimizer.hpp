// The tensor side of the Optimizer<...> stage: LibTorch optimizers built from the type's
// hyperparameters, with parameters split into groups so that BatchNorm and bias
// parameters get no weight decay (timm's and fastai's default).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include <pipeline/dsl/optimizers.hpp>

namespace pipeline {

//! A parameter group with a name for the logs and a factor on the scheduled rate.
struct group_info {
    std::string name;
    double lr_factor = 1.0;
    std::int64_t parameters = 0;
};

struct built_optimizer {
    std::unique_ptr<torch::optim::Optimizer> optimizer;
    std::vector<group_info> groups;
    double base_lr = 0.0;

    //! Sets every group's rate to `lr` times the group's factor.
    void set_lr(double lr) {
        auto& pgs = optimizer->param_groups();
        for (std::size_t i = 0; i < pgs.size(); ++i)
            pgs[i].options().set_lr(lr * groups[i].lr_factor);
    }
};

namespace detail {
//! Weights of convolutions and linear layers decay; 1-d parameters (BatchNorm affine
//! parameters, biases) do not.
inline std::pair<std::vector<torch::Tensor>, std::vector<torch::Tensor>>
split_decay(torch::nn::Module const& model) {
    std::vector<torch::Tensor> decay, no_decay;
    for (auto const& p : model.parameters()) {
        if (!p.requires_grad())
            continue;
        (p.dim() <= 1 ? no_decay : decay).push_back(p);
    }
    return {decay, no_decay};
}

inline std::int64_t count_elements(std::vector<torch::Tensor> const& ts) {
    std::int64_t n = 0;
    for (auto const& t : ts)
        n += t.numel();
    return n;
}
} // namespace detail

template <class O>
struct optimizer_builder;

template <SgdParams P>
struct optimizer_builder<SGD<P>> {
    static built_optimizer make(torch::nn::Module const& model) {
        auto [decay, no_decay] = detail::split_decay(model);
        auto options = [](double wd) {
            return std::make_unique<torch::optim::SGDOptions>(torch::optim::SGDOptions(P.lr)
                                                                  .momentum(P.momentum)
                                                                  .nesterov(P.nesterov)
                                                                  .weight_decay(wd));
        };
        std::vector<group_info> info{{"decay", 1.0, detail::count_elements(decay)},
                                     {"no_decay", 1.0, detail::count_elements(no_decay)}};
        std::vector<torch::optim::OptimizerParamGroup> groups;
        groups.emplace_back(decay, options(P.weight_decay));
        groups.emplace_back(no_decay, options(0.0));
        auto opt = std::make_unique<torch::optim::SGD>(groups, *options(P.weight_decay));
        return {std::move(opt), std::move(info), P.lr};
    }
};

template <AdamWParams P>
struct optimizer_builder<AdamW<P>> {
    static built_optimizer make(torch::nn::Module const& model) {
        auto [decay, no_decay] = detail::split_decay(model);
        auto options = [](double wd) {
            return std::make_unique<torch::optim::AdamWOptions>(
                torch::optim::AdamWOptions(P.lr)
                    .betas({P.beta1, P.beta2})
                    .eps(P.eps)
                    .weight_decay(wd));
        };
        std::vector<group_info> info{{"decay", 1.0, detail::count_elements(decay)},
                                     {"no_decay", 1.0, detail::count_elements(no_decay)}};
        std::vector<torch::optim::OptimizerParamGroup> groups;
        groups.emplace_back(decay, options(P.weight_decay));
        groups.emplace_back(no_decay, options(0.0));
        auto opt = std::make_unique<torch::optim::AdamW>(groups, *options(P.weight_decay));
        return {std::move(opt), std::move(info), P.lr};
    }
};

} // namespace pipeline
