// The Execute<...> stage: how the step executes, not what it computes. `ChannelsLast`
// lays the model's 4-d parameters and buffers, and the batches, out channels-last (NHWC
// strides, PyTorch's `memory_format=torch.channels_last`), the layout tensor cores and
// oneDNN convolve fastest in; `Deterministic` asks cuDNN for deterministic algorithms and
// turns its benchmark mode (on by default under CUDA: each convolution shape timed once
// and its fastest algorithm kept) off. Either changes rounding at most. `CudaGraph`
// captures the whole training step (forward, backward, optimizer update) in a CUDA graph
// after a few eager warm-up steps and replays it: one launch per step instead of
// hundreds, the same arithmetic. Torch-free: train/execution.hpp and
// train/cuda_graph.hpp are the tensor side.
#pragma once

#include <string>
#include <type_traits>

namespace pipeline {

//! What the core reads of an Execute stage (the defaults without one).
struct ExecutionParams {
    bool channels_last = false;
    bool deterministic = false;
    //! Capture the step in a CUDA graph (on a CUDA device; elsewhere it runs eagerly).
    bool cuda_graph = false;
    //! Eager steps before each capture (the first, and again after the trainable set
    //! changes): lazy state (optimizer moments, cuDNN's benchmarked algorithms) is made
    //! outside the graph, as PyTorch's whole-network capture example warms up.
    int graph_warmup = 3;
};

//! Marks the options Execute<...> takes.
struct execution_option {};

//! Parameters, buffers and batches channels-last (NHWC strides).
struct ChannelsLast : execution_option {
    static std::string name() { return "ChannelsLast"; }
};

//! cuDNN's deterministic algorithms, its benchmark mode off.
struct Deterministic : execution_option {
    static std::string name() { return "Deterministic"; }
};

//! The whole training step captured in a CUDA graph and replayed (CUDA devices).
struct CudaGraph : execution_option {
    static std::string name() { return "CudaGraph"; }
};

template <class T>
inline constexpr bool is_execution_option = std::is_base_of_v<execution_option, T>;

} // namespace pipeline
