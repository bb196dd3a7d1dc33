// Every read of a tensor's values by the host goes through this header. On a GPU such a
// read waits for every kernel queued before it (a synchronisation): a training step that
// reads one value (a loss to print, a non-finite check, an accuracy) stalls the queue once
// per step. The loop therefore keeps its sums on the device and reads them once per epoch
// (and when a progress line is printed, at most every few seconds); the count kept here is
// how a test holds it to that (tests/unit/train/host_reads.cpp), and a style test
// (tests/style/host_reads.cmake) fails on a read anywhere else in the library.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>

#include <torch/torch.h>

namespace pipeline {

namespace detail {
inline std::atomic<std::int64_t> host_read_count{0};
} // namespace detail

//! How many host reads of tensor values this process has made so far.
[[nodiscard]] inline std::int64_t host_reads() noexcept {
    return detail::host_read_count.load(std::memory_order_relaxed);
}

//! `t` copied to the host, contiguous, as `dtype` if one is given (one read).
[[nodiscard]] inline torch::Tensor
to_host(torch::Tensor const& t, std::optional<torch::ScalarType> dtype = std::nullopt) {
    detail::host_read_count.fetch_add(1, std::memory_order_relaxed);
    return t.detach().to(torch::kCPU, dtype.value_or(t.scalar_type())).contiguous();
}

//! The value of a one-element tensor on the host (one read).
template <class T>
[[nodiscard]] T host_value(torch::Tensor const& t) {
    detail::host_read_count.fetch_add(1, std::memory_order_relaxed);
    return t.item<T>();
}

} // namespace pipeline
