// The tensor side of the Execute<...> stage. ChannelsLast: LibTorch's `Module::to` has no
// memory-format overload (Python's `model.to(memory_format=torch.channels_last)`), so the
// 4-d parameters and buffers are laid out one by one, before the optimizer sees them; the
// splits are laid out once when they reach the device, and batches gathered from them by
// index keep the layout (a gather by `index`, which preserves it, where `index_select`
// would return NCHW), so no step converts its batch. An augmentation that pads (a
// RandomCrop's reflection) returns NCHW, and the first convolution converts that batch as
// PyTorch's does. Deterministic: cuDNN's deterministic algorithms, benchmark mode off; by
// default under CUDA benchmark mode is on (every shape is fixed by the types, so each
// convolution is timed once).
#pragma once

#include <torch/torch.h>

#include <pipeline/dsl/execution.hpp>

namespace pipeline {

//! `t` channels-last if it is 4-d (NHWC strides, the same shape), else `t`.
[[nodiscard]] inline torch::Tensor channels_last(torch::Tensor const& t) {
    return t.dim() == 4 ? t.contiguous(torch::MemoryFormat::ChannelsLast) : t;
}

//! Whether `t` is a 4-d tensor laid out channels-last (and not also NCHW-contiguous).
[[nodiscard]] inline bool is_channels_last(torch::Tensor const& t) {
    return t.dim() == 4 && t.is_contiguous(torch::MemoryFormat::ChannelsLast)
           && !t.is_contiguous();
}

//! Lays `module`'s 4-d parameters and buffers out channels-last in place: each keeps its
//! identity (its autograd leaf, its name), only its storage is replaced. Call before an
//! optimizer is built over it.
inline void to_channels_last(torch::nn::Module& module) {
    torch::NoGradGuard no_grad;
    for (auto& p : module.parameters())
        if (p.dim() == 4)
            p.set_data(channels_last(p.data()));
    for (auto& b : module.buffers())
        if (b.dim() == 4)
            b.set_data(channels_last(b.data()));
}

//! cuDNN's modes for a run on `device` with options `x` (nothing off CUDA): benchmark
//! mode on unless Deterministic, deterministic algorithms with it.
inline void set_cudnn_modes(ExecutionParams const& x, torch::Device const& device) {
    if (!device.is_cuda())
        return;
    at::globalContext().setBenchmarkCuDNN(!x.deterministic);
    at::globalContext().setDeterministicCuDNN(x.deterministic);
}

} // namespace pipeline
