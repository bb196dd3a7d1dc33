// A backbone of a test's own, declared as a user declares one (docs/extending.md): a stem
// of the test's choosing, global average pooling and a linear head, two blocks (Stem and
// Head). Tests that need a network far smaller than ResNet-18, or one without BatchNorm,
// state only its stem:
//
//   struct plain_layers {
//       static constexpr int features = 8;                     // the stem's channels
//       static constexpr std::string_view weights_name = "plainnet";
//       static torch::nn::Sequential make(pipeline::model_config const& c);
//   };
//   using PlainNet = pipeline::testing::stem_head_backbone<"PlainNet", plain_layers>;
#pragma once

#include <concepts>
#include <cstddef>
#include <string_view>
#include <utility>

#include <torch/torch.h>

#include <pipeline/extend.hpp>

namespace pipeline::testing {

//! The network: `stem`, then the head over its pooled features.
struct stem_head_netImpl : torch::nn::Module {
    stem_head_netImpl(model_config const& c, torch::nn::Sequential layers, int features)
        : stem(register_module("stem", std::move(layers)))
        , head(register_module("head", torch::nn::Linear(features, c.num_classes))) {}

    std::size_t block_count() const { return 2; }
    torch::Tensor forward_block(std::size_t block, torch::Tensor x) {
        if (block == 0)
            return stem->forward(x);
        return head(torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1));
    }
    torch::Tensor forward(torch::Tensor x) { return forward_block(1, forward_block(0, x)); }

    torch::nn::Sequential stem;
    torch::nn::Linear head;
};
TORCH_MODULE(stem_head_net);

struct stem_head_family_tag {};

//! The family of every stem-and-head backbone: builds the network around `Layers::make`.
template <class Layers>
struct stem_head_family : stem_head_family_tag {
    static stem_head_net build(model_config const& c) {
        return stem_head_net(c, Layers::make(c), Layers::features);
    }
};

//! The descriptor: `Name` as the experiment prints it, the stem's first module its
//! convolution (`stem.0.weight`), the head replaced for the dataset's classes.
template <fixed_string Name, class Layers>
struct stem_head_backbone : backbone_descriptor<Name, stem_head_family<Layers>,
                                                owns<Stem, "stem.">, owns<Head, "head.">> {
    static constexpr int features = Layers::features;
    static constexpr std::string_view replaced_head = "head.";
    static constexpr std::string_view stem_conv = "stem.0.weight";
    static constexpr std::string_view weights_name = Layers::weights_name;
};

} // namespace pipeline::testing

template <class B>
requires std::derived_from<typename B::family, pipeline::testing::stem_head_family_tag>
struct pipeline::backbone_builder<B> {
    using module_type = pipeline::testing::stem_head_net;
    static module_type make(pipeline::model_config const& c) { return B::family::build(c); }
};
