// What fit does with a run's options before any data or model work: check them, pick the
// device, set the thread count, form the process group of a data-parallel run and read a
// checkpoint to resume. The result, `run_context`, is the run as the loop sees it.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include <fmt/format.h>
#include <torch/torch.h>

#include <pipeline/compat.hpp>
#include <pipeline/error.hpp>
#include <pipeline/parallel/distributed.hpp>
#include <pipeline/record/checkpoint.hpp>
#include <pipeline/record/run_options.hpp>
#include <pipeline/text.hpp>

namespace pipeline {

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
    if (options.threads > max_threads())
        throw error("--threads",
                    "at most " + std::to_string(max_threads()) + max_threads_reason(),
                    std::to_string(options.threads));
    int const cores = hardware_threads();
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
    // Paths end up in JSON (summary.json, seeds and comparison files), which holds UTF-8
    // text only: a path that is not is refused here, not after the run (where it cost
    // summary.json and the model's export).
    for (auto const& [flag, path] :
         {std::pair{"--out-dir", std::optional(options.out_dir)},
          std::pair{"--resume", options.resume}, std::pair{"--data-dir", options.data_dir},
          std::pair{"--weights-dir", options.weights_dir}})
        if (path && !valid_utf8(path->string()))
            throw error(std::string(flag) + " " + escaped_bytes(path->string()),
                        "a path in UTF-8 (the run records its paths in JSON files, which "
                        "hold UTF-8 text only)",
                        "bytes that are not UTF-8: rename it, or choose another");
    if (options.resume) {
        ctx.resume.emplace(read_checkpoint(*options.resume));
        check_resumable(ctx.resume->info, ctx.experiment, options.seed, ctx.epochs,
                        ctx.dist->world(), ctx.shards);
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
