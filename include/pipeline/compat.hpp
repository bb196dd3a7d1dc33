// The one place where LibTorch versions differ (Debian's 1.13 CPU build here, 2.x with
// CUDA where users download it). Everything else calls these.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <ATen/autocast_mode.h>
#include <torch/torch.h>
#include <torch/version.h>
#if TORCH_VERSION_MAJOR < 2
#include <c10/util/string_utils.h>
#endif
// c10d, PyTorch's distributed engine. Its Gloo process group needs Gloo's headers, which
// Debian ships (libgloo-dev) and PyPI's wheels do not; CMake defines PIPELINE_C10D_GLOO
// where ProcessGroupGloo.hpp compiles, PIPELINE_C10D_NCCL where ProcessGroupNCCL.hpp does
// (cmake/pipelineDependencies.cmake).
#if defined(PIPELINE_C10D_GLOO) || defined(PIPELINE_C10D_NCCL)
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/Work.hpp>
#if TORCH_VERSION_MAJOR < 2
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#else
#include <torch/csrc/distributed/c10d/Backend.hpp>
#endif
#endif
// The two headers hide their classes behind the macros LibTorch's own build defines.
#if defined(PIPELINE_C10D_GLOO)
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#if defined(PIPELINE_C10D_NCCL)
#ifndef USE_C10D_NCCL
#define USE_C10D_NCCL
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
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

// `_foreach_mul_` and `_foreach_div_` with a 0-d tensor as the scalar (2.1 and 2.2 added
// these overloads): on CUDA one fused kernel that reads the value from device memory.
// Without them (1.13) the same arithmetic goes list by list, against the 0-d tensor
// repeated once per tensor (per-tensor kernels: as capturable, only slower).
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 2)
#define PIPELINE_FOREACH_TENSOR_SCALAR 1
#else
#define PIPELINE_FOREACH_TENSOR_SCALAR 0
#endif

//! `ts[i] *= s` for every i, `s` a 0-d tensor of `ts`' dtype on their device (no host
//! read).
inline void foreach_mul_(std::vector<torch::Tensor> const& ts, torch::Tensor const& s) {
#if PIPELINE_FOREACH_TENSOR_SCALAR
    torch::_foreach_mul_(ts, s);
#else
    torch::_foreach_mul_(ts, std::vector<torch::Tensor>(ts.size(), s));
#endif
}

//! `ts[i] * s` for every i, as new tensors (`s` as in foreach_mul_).
inline std::vector<torch::Tensor> foreach_mul(std::vector<torch::Tensor> const& ts,
                                              torch::Tensor const& s) {
#if PIPELINE_FOREACH_TENSOR_SCALAR
    return torch::_foreach_mul(ts, s);
#else
    return torch::_foreach_mul(ts, std::vector<torch::Tensor>(ts.size(), s));
#endif
}

//! `ts[i] /= s` for every i (`s` as in foreach_mul_).
inline void foreach_div_(std::vector<torch::Tensor> const& ts, torch::Tensor const& s) {
#if PIPELINE_FOREACH_TENSOR_SCALAR
    torch::_foreach_div_(ts, s);
#else
    torch::_foreach_div_(ts, std::vector<torch::Tensor>(ts.size(), s));
#endif
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

// Autocast (Precision<BF16>, Precision<FP16>): 2.4 made the state per device type
// (`is_autocast_enabled(DeviceType)`, `set_autocast_dtype(DeviceType, ScalarType)`);
// 1.13 to 2.3 have a function per device (`set_cpu_enabled`, `set_autocast_gpu_dtype`).
// Only the CPU and CUDA are asked for.
#if TORCH_VERSION_MAJOR < 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR < 4)
#define PIPELINE_AUTOCAST_PER_DEVICE_FUNCTIONS 1
#endif

//! Whether autocast is on for `device`'s type on this thread.
inline bool autocast_enabled(torch::DeviceType device) {
#if defined(PIPELINE_AUTOCAST_PER_DEVICE_FUNCTIONS)
    return device == torch::kCUDA ? at::autocast::is_enabled()
                                  : at::autocast::is_cpu_enabled();
#else
    return at::autocast::is_autocast_enabled(device);
#endif
}
inline void set_autocast_enabled(torch::DeviceType device, bool enabled) {
#if defined(PIPELINE_AUTOCAST_PER_DEVICE_FUNCTIONS)
    if (device == torch::kCUDA)
        at::autocast::set_enabled(enabled);
    else
        at::autocast::set_cpu_enabled(enabled);
#else
    at::autocast::set_autocast_enabled(device, enabled);
#endif
}
//! The lower-precision type autocast casts to on `device`'s type.
inline torch::ScalarType autocast_dtype(torch::DeviceType device) {
#if defined(PIPELINE_AUTOCAST_PER_DEVICE_FUNCTIONS)
    return device == torch::kCUDA ? at::autocast::get_autocast_gpu_dtype()
                                  : at::autocast::get_autocast_cpu_dtype();
#else
    return at::autocast::get_autocast_dtype(device);
#endif
}
inline void set_autocast_dtype(torch::DeviceType device, torch::ScalarType dtype) {
#if defined(PIPELINE_AUTOCAST_PER_DEVICE_FUNCTIONS)
    if (device == torch::kCUDA)
        at::autocast::set_autocast_gpu_dtype(dtype);
    else
        at::autocast::set_autocast_cpu_dtype(dtype);
#else
    at::autocast::set_autocast_dtype(device, dtype);
#endif
}

//! Whether the fused loss-scaling kernels (`_amp_foreach_non_finite_check_and_unscale_`,
//! `_amp_update_scale_`) run on `device`: on CUDA in every version, on the CPU from 2.3.
inline bool fused_loss_scaling(torch::Device const& device) {
    return device.is_cuda() || torch_major > 2 || (torch_major == 2 && torch_minor >= 3);
}

//! Whether this build can form c10d process groups: Gloo (CPU tensors), NCCL (CUDA).
#if defined(PIPELINE_C10D_GLOO)
inline constexpr bool has_c10d_gloo = true;
#else
inline constexpr bool has_c10d_gloo = false;
#endif
#if defined(PIPELINE_C10D_NCCL)
inline constexpr bool has_c10d_nccl = true;
#else
inline constexpr bool has_c10d_nccl = false;
#endif

#if defined(PIPELINE_C10D_GLOO) || defined(PIPELINE_C10D_NCCL)
//! What a process group is to the code that runs collectives: `c10d::ProcessGroup` in 1.x,
//! whose Gloo and NCCL groups derive from it; `c10d::Backend` in 2.x, where ProcessGroup
//! became a dispatcher over backends and the Gloo and NCCL classes derive from Backend.
#if TORCH_VERSION_MAJOR < 2
using c10d_group = c10d::ProcessGroup;
#else
using c10d_group = c10d::Backend;
#endif
using c10d_group_ptr = c10::intrusive_ptr<c10d_group>;
using c10d_work_ptr = c10::intrusive_ptr<c10d::Work>;
using c10d_store_ptr = c10::intrusive_ptr<c10d::Store>;

//! The rendezvous store: the server on rank 0 (waiting for `world` clients, itself
//! included), a client elsewhere; connecting and waiting give up after `timeout`.
inline c10d_store_ptr make_tcp_store(std::string const& host, std::uint16_t port, int rank,
                                     int world, std::chrono::milliseconds timeout) {
    c10d::TCPStoreOptions o;
    o.port = port;
    o.isServer = rank == 0;
    o.numWorkers = static_cast<std::size_t>(world);
    o.waitWorkers = true;
    o.timeout = timeout;
#if TORCH_VERSION_MAJOR >= 2
    // The libuv server (2.4+) and the classic one accept the same clients; the classic
    // one is what 1.13 runs, so both builds behave alike.
    o.useLibUV = false;
#endif
    auto store = c10::make_intrusive<c10d::TCPStore>(host, o);
    store->setTimeout(timeout);
    return store;
}

//! Launches an all-reduce (sum) of `tensors`.
inline c10d_work_ptr allreduce_sum(c10d_group& group, std::vector<at::Tensor>& tensors) {
    return group.allreduce(tensors, c10d::AllreduceOptions{});
}

//! Launches a broadcast of `tensors` from rank `root`.
inline c10d_work_ptr broadcast(c10d_group& group, std::vector<at::Tensor>& tensors,
                               int root) {
    c10d::BroadcastOptions o;
    o.rootRank = root;
    return group.broadcast(tensors, o);
}

//! Waits for `work`; throws what the collective threw (a lost peer, a timeout).
inline void wait(c10d_work_ptr const& work, std::chrono::milliseconds timeout) {
    work->wait(timeout);
}
#endif

#if defined(PIPELINE_C10D_GLOO)
//! A Gloo process group over TCP on the interface that has address `host` (127.0.0.1 keeps
//! all traffic on the loopback), collectives giving up after `timeout`.
inline c10d_group_ptr make_gloo_group(c10d_store_ptr const& store, int rank, int world,
                                      std::string const& host,
                                      std::chrono::milliseconds timeout) {
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(host));
    options->threads = 2;
    return c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, world, options);
}
#endif

#if defined(PIPELINE_C10D_NCCL)
//! An NCCL process group (CUDA tensors), collectives giving up after `timeout`.
inline c10d_group_ptr make_nccl_group(c10d_store_ptr const& store, int rank, int world,
                                      std::chrono::milliseconds timeout) {
    auto options = c10d::ProcessGroupNCCL::Options::create();
    options->timeout = timeout;
    return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, world, options);
}
#endif

} // namespace pipeline::compat
