// The environment of a run, everything that is not part of the experiment itself (device,
// directories, seed, smoke-run overrides), and what fit does with it before any data or
// model work: check it, pick the device, set the thread count, read a checkpoint to resume.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <optional>
#include <ostream>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <torch/torch.h>

#include <pipeline/compat.hpp>
#include <pipeline/error.hpp>
#include <pipeline/train/checkpoint.hpp>

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

    //! Writes `text` to the run's log (nothing when quiet).
    void say(std::string const& text) const {
        if (options.log)
            *options.log << text << std::flush;
    }
};

//! Checks `options` for the experiment printed as `experiment` (whose Train stage asks for
//! `epochs`), sets the intra-op thread count, picks the device and reads the checkpoint to
//! resume; prints the run's first two lines.
inline run_context start_run(run_options const& options, std::string experiment,
                             int epochs) {
    int const threads =
        options.threads > 0
            ? options.threads
            : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    torch::set_num_threads(threads);
    run_context ctx{options, std::move(experiment), select_device(options.device), threads,
                    options.epochs.value_or(epochs), std::nullopt};
    if (ctx.epochs < 1)
        throw error("--epochs", "at least 1", std::to_string(ctx.epochs));
    if (options.limit && *options.limit < 1)
        throw error("--limit", "at least 1 training example", std::to_string(*options.limit));
    if (options.resume) {
        ctx.resume.emplace(read_checkpoint(*options.resume));
        check_resumable(ctx.resume->info, ctx.experiment, options.seed, ctx.epochs);
    }
    ctx.say(fmt::format("experiment: {}\n", ctx.experiment));
    ctx.say(fmt::format("device: {} | torch {} | {} CPU thread{} | seed {}\n",
                        ctx.device.str(), compat::torch_version(), threads,
                        threads == 1 ? "" : "s", options.seed));
    return ctx;
}

} // namespace pipeline
