// The tensor side of the transfer options: a model's parameters split by the backbone's
// blocks, and per epoch which blocks train (requires_grad), what their BatchNorm layers
// do (eval in frozen blocks) and how far the frozen prefix runs under no-grad. Driven by
// the Model record of the experiment's specification.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <range/v3/numeric/accumulate.hpp>
#include <range/v3/range/concepts.hpp>
#include <range/v3/view/filter.hpp>
#include <range/v3/view/transform.hpp>
#include <torch/torch.h>

#include <pipeline/dsl/spec.hpp>
#include <pipeline/dsl/transfer.hpp>
#include <pipeline/error.hpp>
#include <pipeline/models/backbone.hpp>

namespace pipeline {

//! One block of the backbone with its parameters, split for weight decay: weights of
//! convolutions and linear layers decay; 1-d parameters (BatchNorm affine parameters,
//! biases) do not.
struct block_parameters {
    std::string name;
    std::vector<std::string> names;
    std::vector<torch::Tensor> decay, no_decay;
    //! BatchNorm layers inside the block.
    std::vector<std::shared_ptr<torch::nn::Module>> batchnorms;
    std::int64_t count = 0;
    double lr_factor = 1.0;
    //! First epoch (from 1) at which the block trains; `transfer_plan<>::never` if never.
    int trainable_from = 1;

    [[nodiscard]] bool frozen_at(int epoch) const { return epoch < trainable_from; }
};

//! The names of backbone `b`'s blocks, in data-flow order.
inline std::vector<std::string> block_names(spec::backbone const& b) {
    std::vector<std::string> out;
    for (auto const& block : b.blocks)
        out.emplace_back(block.name);
    return out;
}

//! The names of B's blocks, in data-flow order.
template <class B>
std::vector<std::string> block_names() {
    return {B::block_names.begin(), B::block_names.end()};
}

//! How many parameters the blocks of `blocks` (a range of block_parameters) hold.
template <ranges::input_range R>
std::int64_t parameter_count(R&& blocks) {
    return ranges::accumulate(blocks | ranges::views::transform(&block_parameters::count),
                              std::int64_t{0});
}

//! How many parameters of `blocks` train in `epoch`.
inline std::int64_t trainable_parameters(std::vector<block_parameters> const& blocks,
                                         int epoch) {
    return parameter_count(
        blocks | ranges::views::filter([&](auto const& b) { return !b.frozen_at(epoch); }));
}

namespace detail {
inline bool owned_by(std::string const& name,
                     std::vector<std::string_view> const& prefixes) {
    for (auto p : prefixes)
        if (name.rfind(p, 0) == 0)
            return true;
    return false;
}

inline bool is_batchnorm(torch::nn::Module& m) {
    return m.as<torch::nn::BatchNorm1d>() || m.as<torch::nn::BatchNorm2d>()
           || m.as<torch::nn::BatchNorm3d>();
}
} // namespace detail

//! Splits `model`'s parameters by the blocks of the Model stage `m`'s backbone (what each
//! block owns), with the stage's per-block factors and epochs. Every parameter must belong
//! to exactly one block.
inline std::vector<block_parameters> partition_blocks(spec::model const& m,
                                                      torch::nn::Module& model) {
    auto const& bb = m.backbone;
    std::vector<block_parameters> blocks(bb.blocks.size());
    std::vector<std::vector<std::string_view>> prefixes(bb.blocks.size());
    for (std::size_t i = 0; i < bb.blocks.size(); ++i) {
        blocks[i].name = std::string(bb.blocks[i].name);
        blocks[i].lr_factor = m.lr_factor[i];
        blocks[i].trainable_from = m.trainable_from[i];
        prefixes[i].assign(bb.blocks[i].prefixes.begin(), bb.blocks[i].prefixes.end());
    }
    for (auto const& p : model.named_parameters()) {
        int owner = -1;
        for (std::size_t i = 0; i < blocks.size(); ++i) {
            if (!detail::owned_by(p.key(), prefixes[i]))
                continue;
            if (owner >= 0)
                throw error("parameter " + p.key() + " of " + bb.name(),
                            "one block owning it",
                            blocks[owner].name + " and " + blocks[i].name);
            owner = static_cast<int>(i);
        }
        if (owner < 0)
            throw error("parameter " + p.key() + " of " + bb.name(),
                        "a block owning it (the descriptor's owns<Block, \"prefix.\">)",
                        "none");
        auto& b = blocks[owner];
        b.names.push_back(p.key());
        (p.value().dim() <= 1 ? b.no_decay : b.decay).push_back(p.value());
        b.count += p.value().numel();
    }
    for (auto const& mod : model.named_modules("", /*include_self=*/false)) {
        if (!detail::is_batchnorm(*mod.value()))
            continue;
        auto const key = mod.key() + ".";
        for (std::size_t i = 0; i < blocks.size(); ++i)
            if (detail::owned_by(key, prefixes[i]))
                blocks[i].batchnorms.push_back(mod.value());
    }
    return blocks;
}

//! Applies the transfer plan of a Model stage to its model epoch by epoch.
class transfer_controller {
public:
    transfer_controller(spec::model const& m, torch::nn::Module& model)
        : blocks_(partition_blocks(m, model))
        , bn_train_when_frozen_(m.bn_train_when_frozen) {}

    [[nodiscard]] std::vector<block_parameters> const& blocks() const { return blocks_; }

    //! Frozen blocks' parameters stop requiring gradients (so they get none and the
    //! optimizer skips them); the others require them.
    void enter_epoch(int epoch) {
        epoch_ = epoch;
        for (auto& b : blocks_) {
            bool const train = !b.frozen_at(epoch);
            for (auto* group : {&b.decay, &b.no_decay})
                for (auto& p : *group) {
                    p.requires_grad_(train);
                    if (!train && p.grad().defined())
                        p.mutable_grad() = torch::Tensor();
                }
        }
    }

    //! Call after `model->train()`: BatchNorm layers of frozen blocks go to eval mode
    //! (running statistics used, not updated) unless the plan says BatchNorm<TrainMode>.
    void apply_batchnorm_modes() {
        if (bn_train_when_frozen_)
            return;
        for (auto& b : blocks_)
            if (b.frozen_at(epoch_))
                for (auto& bn : b.batchnorms)
                    bn->eval();
    }

    //! How many leading blocks are frozen this epoch.
    [[nodiscard]] std::size_t frozen_prefix() const {
        std::size_t n = 0;
        while (n < blocks_.size() && blocks_[n].frozen_at(epoch_))
            ++n;
        return n;
    }

    [[nodiscard]] std::int64_t trainable_parameters(int epoch) const {
        return pipeline::trainable_parameters(blocks_, epoch);
    }

    //! The training forward pass: the frozen prefix of blocks under no-grad (no
    //! activations kept for it), the rest with gradients.
    torch::Tensor forward(backbone_network& model, torch::Tensor x) const {
        std::size_t const prefix = frozen_prefix();
        if (prefix == 0)
            return model.forward(x);
        {
            torch::NoGradGuard no_grad;
            for (std::size_t i = 0; i < prefix; ++i)
                x = model.forward_block(i, x);
        }
        for (std::size_t i = prefix; i < blocks_.size(); ++i)
            x = model.forward_block(i, x);
        return x;
    }

    //! The same for a module holder that runs block by block (tests, own loops).
    template <block_module Module>
    torch::Tensor forward(Module& model, torch::Tensor x) const {
        backbone_adapter<Module> adapted(model);
        return forward(adapted, std::move(x));
    }

private:
    std::vector<block_parameters> blocks_;
    bool bn_train_when_frozen_ = false;
    int epoch_ = 1;
};

} // namespace pipeline
