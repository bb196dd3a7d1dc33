// The environment of a run, everything that is not part of the experiment itself (device,
// directories, seed, smoke-run overrides): what the command line fills in and fit reads.
// Torch-free: an experiment file that passes options needs no tensor header.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace pipeline {

//! The hardware threads here (at least 1).
inline int hardware_threads() {
    return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

//! The most intra-op threads a run takes (`--threads`): 4 per hardware thread. Beyond
//! that threads only contend (1000 ran 16x slower on 16 cores, 10,000 hung).
inline int max_threads() {
    return 4 * hardware_threads();
}

//! Why max_threads() is the bound, for its error message.
inline std::string max_threads_reason() {
    return " (4 x the " + std::to_string(hardware_threads())
           + " hardware threads here; more threads only contend)";
}

//! How the learning-rate finder sweeps (`--find-lr`, `--find-lr-steps`, ...; see
//! record/lr_find.hpp); fastai's defaults.
struct lr_find_options {
    //! The first and the last rate of the sweep: the schedule's base rate, which every
    //! block's LrScale and layer decay multiply, as in training.
    double start_lr = 1e-7;
    double end_lr = 10.0;
    //! Steps of the sweep, one batch each; fewer when the loss diverges.
    int steps = 100;
    //! Stop once the smoothed loss exceeds this many times its lowest value so far.
    double divergence = 4.0;
    //! The weight of the past in the smoothed loss (fastai's beta).
    double smoothing = 0.98;
};

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
    //! several are visible, else 1). See parallel/seed_processes.hpp.
    int seed_procs = 0;
    //! The command line (the program first), for starting seed workers; set by
    //! serve_seed_worker (empty: the seeds run one after another).
    std::vector<std::string> argv;
    //! --find-lr: run the learning-rate finder with `lr_sweep` instead of training.
    bool find_lr = false;
    lr_find_options lr_sweep;
};

//! The options of `o` that change a run's numbers (besides the experiment and its seed),
//! as command-line flags in a fixed order, e.g. {{"--epochs", "2"}, {"--limit", "512"}}:
//! what a summary of several runs must record to be read again later. Options at their
//! defaults are left out.
inline std::vector<std::pair<std::string, std::string>>
result_options(run_options const& o) {
    std::vector<std::pair<std::string, std::string>> out;
    out.emplace_back("--device", o.device);
    if (o.epochs)
        out.emplace_back("--epochs", std::to_string(*o.epochs));
    if (o.limit)
        out.emplace_back("--limit", std::to_string(*o.limit));
    if (o.eval_limit)
        out.emplace_back("--eval-limit", std::to_string(*o.eval_limit));
    if (o.emulate_ranks != 1)
        out.emplace_back("--emulate-ranks", std::to_string(o.emulate_ranks));
    if (o.data_dir)
        out.emplace_back("--data-dir", o.data_dir->string());
    if (o.weights_dir)
        out.emplace_back("--weights-dir", o.weights_dir->string());
    return out;
}

//! `result_options(o)` as command-line text, each flag after a space: " --device cpu
//! --epochs 2" (what follows "--seed S" in a summary's `command_line`).
inline std::string result_flags(run_options const& o) {
    std::string flags;
    for (auto const& [flag, value] : result_options(o))
        flags += " " + flag + " " + value;
    return flags;
}

} // namespace pipeline
