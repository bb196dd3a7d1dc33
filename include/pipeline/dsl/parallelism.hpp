// How a run spreads over processes: `Distributed<DDP>` trains data-parallel on PyTorch's
// c10d (NCCL on GPUs, Gloo on CPUs), one process per device, launched as torchrun does.
// The tag and its hyperparameters; the process group and the gradient reduction live in
// pipeline/parallel/distributed.hpp. Torch-free.
#pragma once

#include <string>

#include <pipeline/dsl/fixed_string.hpp>
#include <pipeline/dsl/tags.hpp>
#include <pipeline/dsl/tunable.hpp>

namespace pipeline {

struct DdpParams {
    //! Gradients are all-reduced in buckets of about this many MiB, each launched as soon
    //! as the backward pass has filled it (PyTorch's DistributedDataParallel default: 25).
    double bucket_mb = 25.0;
    //! BatchNorm statistics over the global batch (SyncBatchNorm). Not implemented: each
    //! rank normalises with its own shard's statistics, as PyTorch's DDP does by default.
    bool sync_batch_norm = false;
};

namespace detail {

template <DdpParams P>
struct ddp : parallelism_tag, tuned_by<ddp, P> {
    static_assert(P.bucket_mb > 0.0,
                  "pipeline: Distributed<DDP, {.bucket_mb}> must be > 0 (the size of the "
                  "gradient buckets all-reduced during the backward pass; default 25)");
    // Every rank would silently normalise with its own statistics while the printed
    // experiment claims global ones.
    static_assert(
        !P.sync_batch_norm,
        "pipeline: Distributed<DDP, {.sync_batch_norm = true}> is not implemented; "
        "each rank normalises with its own shard's BatchNorm statistics (PyTorch's "
        "DDP default, docs/scaling.md): drop .sync_batch_norm or freeze the "
        "BatchNorm blocks");
    static std::string name() {
        constexpr DdpParams d{};
        return tuned_name("DDP",
                          field_printer{}("bucket_mb", P.bucket_mb, d.bucket_mb).braced());
    }
};

} // namespace detail

//! Data parallelism over c10d process groups: `Distributed<DDP>`,
//! `Distributed<DDP, {.bucket_mb = 50}>`.
using DDP = detail::ddp<DdpParams{}>;

} // namespace pipeline
