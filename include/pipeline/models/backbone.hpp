// From a backbone tag to its module: `backbone_builder<B>::make(in_channels, classes)`.
// The head is sized from the dataset's class count, known at compile time.
#pragma once

#include <cstdint>

#include <torch/torch.h>

#include <pipeline/dsl/backbones.hpp>
#include <pipeline/models/resnet.hpp>

namespace pipeline {

//! Specialised for each backbone family.
template <class B>
struct backbone_builder;

template <class B>
requires requires {
    B::layers;
    B::bottleneck;
}
struct backbone_builder<B> {
    using module_type = models::ResNet;

    static module_type make(std::int64_t in_channels, std::int64_t num_classes) {
        models::resnet_options o;
        for (std::size_t i = 0; i < 4; ++i)
            o.layers[i] = B::layers[i];
        o.bottleneck = B::bottleneck;
        o.in_channels = in_channels;
        o.num_classes = num_classes;
        return module_type(o);
    }
};

} // namespace pipeline
