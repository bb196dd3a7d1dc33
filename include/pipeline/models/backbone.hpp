// From a backbone to its module. `backbone_network` is the one interface the core runs a
// model through (forward, block by block, and the module's parameters and buffers);
// `make_network` builds the module of any backbone of the experiment's specification:
// the built-in families by their numbers (models/resnet.hpp, mobilenet_v1.hpp, _v2.hpp,
// _v3.hpp), a backbone of the user's own through `erased_backbone<B>`, which adapts the
// module its `backbone_builder<B>` makes (concepts/backbone.hpp is the contract).
#pragma once

#include <concepts>
#include <cstddef>
#include <memory>
#include <utility>

#include <torch/torch.h>

#include <pipeline/concepts/backbone.hpp>
#include <pipeline/dsl/backbones.hpp>
#include <pipeline/dsl/spec.hpp>
#include <pipeline/error.hpp>
#include <pipeline/models/mobilenet_v1.hpp>
#include <pipeline/models/mobilenet_v2.hpp>
#include <pipeline/models/mobilenet_v3.hpp>
#include <pipeline/models/resnet.hpp>

namespace pipeline {

//! A module holder whose module runs one block at a time: `forward_block(i, x)` for
//! i = 0 .. block_count() - 1 in turn is `forward(x)`.
template <class M>
concept block_module = requires(M& m, torch::Tensor x, std::size_t i) {
    { m->block_count() } -> std::convertible_to<std::size_t>;
    { m->forward_block(i, x) } -> std::same_as<torch::Tensor>;
    { m->forward(x) } -> std::same_as<torch::Tensor>;
};

//! A backbone's module as the core runs it.
class backbone_network {
public:
    virtual ~backbone_network() = default;
    //! The module: its parameters and buffers by torchvision's (timm's) names, train/eval
    //! mode, device moves.
    virtual torch::nn::Module& module() = 0;
    [[nodiscard]] virtual std::shared_ptr<torch::nn::Module> module_ptr() const = 0;
    virtual torch::Tensor forward(torch::Tensor x) = 0;
    //! Block `block` of the descriptor's blocks; running 0 .. block_count() - 1 in turn is
    //! `forward`.
    virtual torch::Tensor forward_block(std::size_t block, torch::Tensor x) = 0;
    [[nodiscard]] virtual std::size_t block_count() const = 0;
};

//! Module holder M behind `backbone_network`.
template <block_module M>
class backbone_adapter final : public backbone_network {
public:
    explicit backbone_adapter(M module)
        : m_(std::move(module)) {}

    torch::nn::Module& module() override { return *m_; }
    [[nodiscard]] std::shared_ptr<torch::nn::Module> module_ptr() const override {
        return m_.ptr();
    }
    torch::Tensor forward(torch::Tensor x) override { return m_->forward(std::move(x)); }
    torch::Tensor forward_block(std::size_t block, torch::Tensor x) override {
        return m_->forward_block(block, std::move(x));
    }
    [[nodiscard]] std::size_t block_count() const override { return m_->block_count(); }

    //! The module as its own type.
    [[nodiscard]] M const& holder() const { return m_; }

private:
    M m_;
};

//! The module type of backbone B.
template <buildable_backbone B>
using backbone_module_t = typename backbone_builder<B>::module_type;

//! Builds the module of backbone B.
template <buildable_backbone B>
backbone_module_t<B> make_backbone(model_config const& config) {
    static_assert(block_module<backbone_module_t<B>>,
                  "pipeline: a backbone's module must run block by block (block_count(), "
                  "forward_block(i, x)); see concepts/backbone.hpp");
    return backbone_builder<B>::make(config);
}

//! Backbone B's module behind `backbone_network`: what a backbone of the user's own
//! contributes to the experiment's specification.
template <class B>
struct erased_backbone {
    static std::unique_ptr<backbone_network> make(model_config const& config) {
        return std::make_unique<backbone_adapter<backbone_module_t<B>>>(
            make_backbone<B>(config));
    }
};

namespace builtin {

template <spec::backbone_family F>
std::unique_ptr<backbone_network> make_network(spec::backbone const& b,
                                               model_config const& config) {
    using enum spec::backbone_family;
    if constexpr (F == resnet)
        return std::make_unique<backbone_adapter<models::ResNet>>(
            models::make_resnet(b, config));
    else if constexpr (F == mobilenet_v1)
        return std::make_unique<backbone_adapter<models::MobileNetV1>>(
            models::make_mobilenet_v1(b, config));
    else if constexpr (F == mobilenet_v2)
        return std::make_unique<backbone_adapter<models::MobileNetV2>>(
            models::make_mobilenet_v2(b, config));
    else if constexpr (F == mobilenet_v3)
        return std::make_unique<backbone_adapter<models::MobileNetV3>>(
            models::make_mobilenet_v3(b, config));
    else
        return b.make(config);
}

} // namespace builtin

//! The module of backbone `b` for `config` (its head_dropout already resolved: the
//! specification's Model record carries HeadDropout<p>'s, or the descriptor's default).
//! Its block count must be the descriptor's.
inline std::unique_ptr<backbone_network> make_network(spec::backbone const& b,
                                                      model_config const& config) {
    using enum spec::backbone_family;
    std::unique_ptr<backbone_network> net;
    if (b.family == custom)
        net = b.make(config);
    else {
#if defined(PIPELINE_HEADER_ONLY)
        net = detail::named_code(b.builtin_make, "its backbone")(b, config);
#else
        switch (b.family) {
        case resnet:
            net = builtin::make_network<resnet>(b, config);
            break;
        case mobilenet_v1:
            net = builtin::make_network<mobilenet_v1>(b, config);
            break;
        case mobilenet_v2:
            net = builtin::make_network<mobilenet_v2>(b, config);
            break;
        case mobilenet_v3:
        case custom:
            net = builtin::make_network<mobilenet_v3>(b, config);
            break;
        }
#endif
    }
    if (net->block_count() != b.blocks.size())
        throw error("the module of " + b.name(),
                    std::to_string(b.blocks.size()) + " blocks, as its descriptor names",
                    std::to_string(net->block_count()) + " (forward_block)");
    return net;
}

} // namespace pipeline
