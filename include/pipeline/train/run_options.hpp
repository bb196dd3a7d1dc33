// The environment of a run, everything that is not part of the experiment itself (device,
// directories, seed, smoke-run overrides), and what fit does with it before any data or
// model work: check it, pick the device, set the thread count, read a checkpoint to resume.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <torch/torch.h>

#include <pipeline/compat.hpp>
#include <pipeline/error.hpp>
#include <pipeline/train/checkpoint.hpp>
#include <pipeline/train/distributed.hpp>

namespace pipeline {

//! The environment of a run: everything that is not part of the experiment itself.
struct run_options {
    //! "cpu", "cuda", "cuda:N" or "auto" (CUDA when available).
    std::string device = "auto";
    std::optional<std::filesystem::path> data_dir;
    //! Where Pretrained<...> looks for weights (default: $PIPELINE_WEIGHTS_DIR, then
    //! $XDG_CACHE_HOME/pipeline/weights, then ~/.cache/pipeline/weights).
    std::optional<std::filesystem::path> weights_dir;
    //! Each run writes a new directory under this one; empty disables writing.
    std::filesystem::path out_dir = "runs";
    std::uint64_t seed = 0;
    //! Overrides Train<{.epochs}> (smoke runs).
    std::optional<int> epochs;
    //! Overrides Load<D, Subset<N>>: train on the first N examples.
    std::optional<std::int64_t> limit;
    //! Evaluate on the first N validation and test examples only (smoke runs).
    std::optional<std::int64_t> eval_limit;
    //! Intra-op CPU threads; 0 uses every core.
    int threads = 0;
    //! Continue the run whose checkpoint (or run directory) this is, in a new run
    //! directory; the result equals the uninterrupted run's.
    std::optional<std::filesystem::path> resume;
    //! End the run after this epoch, as an interruption would (checkpoint kept, no test).
    std::optional<int> stop_after;
    //! Write weights: the checkpoint after every epoch (for --resume), best.safetensors
    //! when validation improves and model.safetensors at the end. Off for sweeps: the
    //! metrics, curves and summaries are still written.
    bool save_weights = true;
    //! Where the epoch table goes; nullptr keeps quiet.
    std::ostream* log = &std::cout;
    //! Data-parallel runs: how long forming the process group and each collective may take
    //! before the run stops with an error (a rank died, a wrong MASTER_PORT).
    int dist_timeout_s = 1800;
    //! Run the arithmetic of an N-process data-parallel run in this one process: each
    //! global batch in N shards (BatchNorm statistics per shard), gradients averaged,
    //! buffers kept from shard 0 as a distributed run keeps rank 0's.
    int emulate_ranks = 1;
    //! Data-parallel runs: every rank prints its log (rank 0's alone by default); only
    //! rank 0 ever writes the run directory.
    bool log_all_ranks = false;
    //! --seeds N: how many seeds run at once, each in its own process (0: one per GPU when
    //! several are visible, else 1). See train/seed_processes.hpp.
    int seed_procs = 0;
    //! The command line (the program first), for starting seed workers; set by
    //! serve_seed_worker (empty: the seeds run one after another).
    std::vector<std::string> argv;
};

//! Picks the device named by `spec`; a CUDA request without CUDA is an error, not a
//! silent fallback.
inline torch::Device select_device(std::string const& spec) {
    if (spec == "auto")
        return compat::cuda_available() ? torch::Device(torch::kCUDA, 0)
                                        : torch::Device(torch::kCPU);
    if (spec == "cpu")
        return torch::Device(torch::kCPU);
    if (spec.rfind("cuda", 0) == 0) {
        if (!compat::cuda_available())
            throw error("--device " + spec, "a CUDA device",
                        "none (this LibTorch " + compat::torch_version()
                            + " has no CUDA or no GPU is visible); use --device cpu");
        return torch::Device(spec);
    }
    throw error("--device", "cpu, cuda, cuda:N or auto", "'" + spec + "'");
}

//! A run as fit sees it once the options are checked: the experiment's printed form, the
//! device, the thread count, the number of epochs, and the checkpoint it resumes from.
struct run_context {
    run_options const& options;
    std::string experiment;
    torch::Device device;
    int threads = 1;
    int epochs = 1;
    std::optional<loaded_checkpoint> resume;
    //! This process's rank among a data-parallel job's (world 1 when it runs alone).
    std::shared_ptr<distributed_context const> dist =
        std::make_shared<distributed_context>();
    //! How many shards each global batch is cut into: the world size, or --emulate-ranks.
    int shards = 1;

    //! Writes `text` to the run's log (nothing when quiet).
    void say(std::string const& text) const {
        if (options.log)
            *options.log << text << std::flush;
    }
};

//! `options` as rank `env.rank` of a launched job runs them: every rank but 0 writes
//! nothing (no log, no run directory), so logs, plots and checkpoints come from rank 0.
inline run_options options_for_rank(run_options options, launch_environment const& env) {
    if (env.rank > 0) {
        if (!options.log_all_ranks)
            options.log = nullptr;
        options.out_dir.clear();
    }
    return options;
}

//! Checks `options` for the experiment printed as `experiment` (whose Train stage asks for
//! `epochs`), sets the intra-op thread count, picks the device, forms the process group
//! of a data-parallel run (launched with WORLD_SIZE > 1, or with `distributed` asked for
//! by a Distributed<...> stage and WORLD_SIZE set) and reads the checkpoint to resume;
//! prints the run's first lines.
inline run_context start_run(run_options const& options, std::string experiment, int epochs,
                             launch_environment const& env = {}, bool distributed = false) {
    bool const data_parallel = env.launched && (env.world > 1 || distributed);
    int const cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    // torchrun's rule: processes on one machine share its cores.
    int const threads = options.threads > 0 ? options.threads
                        : data_parallel     ? std::max(1, cores / env.world)
                                            : cores;
    torch::set_num_threads(threads);
    auto device = select_device(options.device);
    if (data_parallel && device.is_cuda()
        && (options.device == "auto" || options.device == "cuda"))
        device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(env.local_rank));
    if (options.dist_timeout_s < 1)
        throw error("--dist-timeout", "at least 1 second",
                    std::to_string(options.dist_timeout_s));
    if (options.emulate_ranks < 1)
        throw error("--emulate-ranks", "at least 1", std::to_string(options.emulate_ranks));
    if (data_parallel && options.emulate_ranks > 1)
        throw error("--emulate-ranks " + std::to_string(options.emulate_ranks),
                    "a run in one process (it stands in for a data-parallel one)",
                    "WORLD_SIZE=" + std::to_string(env.world) + " set by a launcher");
    run_context ctx{options, std::move(experiment),           device,
                    threads, options.epochs.value_or(epochs), std::nullopt};
    if (data_parallel) {
        ctx.dist = std::make_shared<distributed_context>(
            env, device, std::chrono::seconds(options.dist_timeout_s));
        ctx.shards = env.world;
    } else {
        ctx.shards = options.emulate_ranks;
    }
    if (ctx.epochs < 1)
        throw error("--epochs", "at least 1", std::to_string(ctx.epochs));
    if (options.limit && *options.limit < 1)
        throw error("--limit", "at least 1 training example",
                    std::to_string(*options.limit));
    if (options.resume) {
        ctx.resume.emplace(read_checkpoint(*options.resume));
        check_resumable(ctx.resume->info, ctx.experiment, options.seed, ctx.epochs);
    }
    ctx.say(fmt::format("experiment: {}\n", ctx.experiment));
    ctx.say(fmt::format("device: {} | torch {} | {} CPU thread{} | seed {}\n",
                        ctx.device.str(), compat::torch_version(), threads,
                        threads == 1 ? "" : "s", options.seed));
    if (data_parallel)
        ctx.say(fmt::format("distributed: {} processes over c10d {} (rendezvous at {}:{}); "
                            "rank 0 writes the log and the run directory\n",
                            env.world, device.is_cuda() ? "NCCL" : "Gloo", env.master_addr,
                            env.master_port));
    else if (options.emulate_ranks > 1)
        ctx.say(
            fmt::format("distributed: emulating {} ranks in one process (each batch in {} "
                        "shards, gradients averaged)\n",
                        options.emulate_ranks, options.emulate_ranks));
    return ctx;
}

} // namespace pipeline
