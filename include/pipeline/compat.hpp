// The one place where LibTorch versions differ (Debian's 1.13 CPU build here, 2.x with
// CUDA where users download it). Everything else calls these.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

#include <torch/torch.h>
#include <torch/version.h>
#if TORCH_VERSION_MAJOR < 2
#include <c10/util/string_utils.h>
#endif

namespace pipeline::compat {

inline constexpr int torch_major = TORCH_VERSION_MAJOR;
inline constexpr int torch_minor = TORCH_VERSION_MINOR;

inline std::string torch_version() {
    return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR)
           + "." + std::to_string(TORCH_VERSION_PATCH);
}

//! Whether a CUDA device is usable (built with CUDA and a device present).
inline bool cuda_available() {
    return torch::cuda::is_available();
}

//! Blocks until queued device work is done (for timing only; the step loop never calls it).
inline void synchronize(torch::Device const& device) {
    if (device.is_cuda())
        torch::cuda::synchronize(device.index() < 0 ? -1 : device.index());
}

//! A random generator living on `device`, seeded: the epoch shuffles draw from it, so two
//! runs with the same seed see identical batches.
inline torch::Generator make_generator(torch::Device const& device, std::uint64_t seed) {
    torch::Generator gen = at::globalContext().defaultGenerator(device).clone();
    gen.set_current_seed(seed);
    return gen;
}

//! Whether optimizers on `device` step with multi-tensor `_foreach_` kernels: on CUDA, in
//! every LibTorch that has the list overloads used (1.8 and later). On the CPU the
//! `_foreach_` ops loop over tensors anyway, so the per-tensor optimizers are kept.
inline bool multi_tensor_optimizers(torch::Device const& device) {
    return device.is_cuda() && (torch_major > 1 || torch_minor >= 8);
}

//! The key type of an optimizer's per-parameter state map: the TensorImpl's address as
//! text in 1.x (`std::string`), the address itself in 2.x (`void*`).
using optimizer_state_key_t =
    std::decay_t<decltype(std::declval<torch::optim::Optimizer&>().state())>::key_type;

//! The key under which LibTorch's C++ optimizers keep a parameter's state, computed the
//! way the optimizers themselves compute it.
inline optimizer_state_key_t optimizer_state_key(torch::Tensor const& p) {
#if TORCH_VERSION_MAJOR < 2
    return c10::guts::to_string(p.unsafeGetTensorImpl());
#else
    return p.unsafeGetTensorImpl();
#endif
}

//! A generator's state as a uint8 tensor, and back (checkpoints of the random streams).
inline torch::Tensor generator_state(torch::Generator const& gen) {
    return gen.get_state();
}
inline void set_generator_state(torch::Generator& gen, torch::Tensor const& state) {
    gen.set_state(state);
}

//! A new CPU generator seeded with `seed`, independent of the process-wide one (the
//! validation split draws from it).
inline torch::Generator make_cpu_generator(std::uint64_t seed) {
    return at::detail::createCPUGenerator(seed);
}

//! The process-wide generator of `device` (dropout and random initialisation there).
inline torch::Generator default_generator(torch::Device const& device) {
    return at::globalContext().defaultGenerator(device);
}

//! The process-wide CPU generator (torch::manual_seed, dropout and init on the CPU).
inline torch::Generator default_cpu_generator() {
    return at::detail::getDefaultCPUGenerator();
}

} // namespace pipeline::compat
