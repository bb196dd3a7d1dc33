// The one place where LibTorch versions differ (Debian's 1.13 CPU build here, 2.x with
// CUDA where users download it). Everything else calls these.
#pragma once

#include <cstdint>
#include <string>

#include <torch/torch.h>
#include <torch/version.h>

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

} // namespace pipeline::compat
