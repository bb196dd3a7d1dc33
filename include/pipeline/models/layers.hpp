// Building blocks shared by the MobileNets, named as torchvision names them: a
// Conv2dNormActivation is a Sequential of conv (".0"), BatchNorm (".1") and an
// activation without parameters (".2"), so state-dict keys match index for index.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include <pipeline/concepts/backbone.hpp>
#include <pipeline/dsl/spec.hpp>

namespace pipeline::models {

enum class activation { none, relu, relu6, hardswish };

inline torch::Tensor activate(activation a, torch::Tensor x) {
    switch (a) {
    case activation::relu:
        return torch::relu(x);
    case activation::relu6:
        return torch::hardtanh(x, 0.0, 6.0);
    case activation::hardswish:
        return torch::hardswish(x);
    case activation::none:
        break;
    }
    return x;
}

//! A Sequential with a plain `forward(Tensor)`, so it can sit inside another Sequential
//! (LibTorch's own cannot: its forward is a template).
struct SequenceImpl : torch::nn::SequentialImpl {
    using torch::nn::SequentialImpl::SequentialImpl;
    torch::Tensor forward(torch::Tensor x) {
        return torch::nn::SequentialImpl::forward(std::move(x));
    }
};
TORCH_MODULE(Sequence);

//! torchvision's `_make_divisible`: round `v` to a multiple of `divisor`, never more than
//! 10% down.
inline std::int64_t make_divisible(double v, std::int64_t divisor = 8) {
    auto n = std::max<std::int64_t>(
        divisor, static_cast<std::int64_t>(v + static_cast<double>(divisor) / 2.0) / divisor
                     * divisor);
    if (static_cast<double>(n) < 0.9 * v)
        n += divisor;
    return n;
}

struct norm_options {
    double eps = 1e-5;
    double momentum = 0.1;
};

//! Conv2d (no bias), BatchNorm2d, activation: torchvision's Conv2dNormActivation.
inline Sequence conv_norm_act(std::int64_t in, std::int64_t out, std::int64_t k,
                              std::int64_t stride, std::int64_t groups, activation act,
                              norm_options norm = {}) {
    namespace nn = torch::nn;
    Sequence s(
        nn::Conv2d(nn::Conv2dOptions(in, out, k)
                       .stride(stride)
                       .padding((k - 1) / 2)
                       .groups(groups)
                       .bias(false)),
        nn::BatchNorm2d(nn::BatchNormOptions(out).eps(norm.eps).momentum(norm.momentum)));
    if (act != activation::none)
        s->push_back(nn::Functional([act](torch::Tensor x) { return activate(act, x); }));
    return s;
}

//! torchvision's MobileNet initialisation: Kaiming-normal (fan_out) convolutions with zero
//! bias, BatchNorm weight 1 and bias 0, Linear weights N(0, 0.01) with zero bias.
inline void mobilenet_init(torch::nn::Module& m) {
    torch::NoGradGuard no_grad;
    for (auto& sub : m.modules(/*include_self=*/false)) {
        if (auto* conv = sub->as<torch::nn::Conv2d>()) {
            torch::nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut);
            if (conv->bias.defined())
                torch::nn::init::zeros_(conv->bias);
        } else if (auto* bn = sub->as<torch::nn::BatchNorm2d>()) {
            torch::nn::init::ones_(bn->weight);
            torch::nn::init::zeros_(bn->bias);
        } else if (auto* fc = sub->as<torch::nn::Linear>()) {
            torch::nn::init::normal_(fc->weight, 0.0, 0.01);
            torch::nn::init::zeros_(fc->bias);
        }
    }
}

//! What the Model stage decides about a MobileNet (see model_config).
struct mobilenet_options {
    std::int64_t in_channels = 3;
    std::int64_t num_classes = 1000;
    //! Dropout before the final Linear (the descriptor's default_head_dropout unless
    //! HeadDropout<p> says otherwise).
    double head_dropout = 0.0;
};

} // namespace pipeline::models

namespace pipeline::detail {
//! The dropout before backbone `b`'s classifier: `config`'s, or below 0 the descriptor's
//! default. The one place the default applies to a module built by hand; a run's
//! specification carries it resolved already (dsl/spec.hpp).
inline double head_dropout_for(spec::backbone const& b, model_config const& config) {
    return config.head_dropout < 0.0 ? b.default_head_dropout : config.head_dropout;
}

inline models::mobilenet_options mobilenet_options_for(spec::backbone const& b,
                                                       model_config const& config) {
    models::mobilenet_options o;
    o.in_channels = config.in_channels;
    o.num_classes = config.num_classes;
    o.head_dropout = head_dropout_for(b, config);
    return o;
}
} // namespace pipeline::detail

namespace pipeline::models {

//! torchvision's MobileNet v2/v3 layout, `features` (stem, inverted residuals, last conv)
//! then `classifier`, run block by block as the descriptor names them: block i is
//! `features[bounds[i]] .. features[bounds[i + 1] - 1]`, the last block pools and
//! classifies. The derived module fills both Sequentials and `bounds`.
struct FeaturesClassifierImpl : torch::nn::Module {
    torch::Tensor forward(torch::Tensor x) {
        for (std::size_t b = 0; b < block_count(); ++b)
            x = forward_block(b, x);
        return x;
    }

    [[nodiscard]] std::size_t block_count() const { return bounds.size(); }

    torch::Tensor forward_block(std::size_t block, torch::Tensor x) {
        if (block + 1 < bounds.size()) {
            for (auto k = bounds[block]; k < bounds[block + 1]; ++k)
                x = (features->begin() + static_cast<std::ptrdiff_t>(k))->forward(x);
            return x;
        }
        return classifier->forward(torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1));
    }

    //! Starts a new block at the next feature layer (call before adding its first layer),
    //! and closes the last one (after the last feature layer).
    void start_block() { bounds.push_back(features->size()); }

    torch::nn::Sequential features, classifier;
    std::vector<std::size_t> bounds;
};

} // namespace pipeline::models
