// Runs over seeds: `fit_seeds` trains one experiment once per seed and summarises them;
// `serve_seed_worker` is the other end of --seeds run as worker processes (one seed each,
// parallel/seed_processes.hpp). Declared here, torch-free; defined once in the core
// (app/impl/program.ipp).
#pragma once

#include <optional>
#include <span>
#include <string>

#include <pipeline/config.hpp>
#include <pipeline/dsl/spec.hpp>
#include <pipeline/record/run_options.hpp>
#include <pipeline/record/seed_summary.hpp>

namespace pipeline {

//! Trains experiment `e` once per seed, `options.seed` to `options.seed + seeds - 1`, each
//! run in its own directory (side by side as worker processes when `options` asks for
//! them: parallel/seed_processes.hpp); prints and (with an --out-dir) writes the summary
//! as `seeds-<hash>.md` and `.json` beside the runs.
PIPELINE_DECL seed_summary fit_seeds(spec::experiment const& e, run_options const& options,
                                     int seeds);

//! In a seed worker (PIPELINE_SEED_WORKER set by a parent's --seeds run): trains the one
//! of `experiments` the request names with its seed and thread count, writes its figures
//! to the request's report file and returns the exit code. In any other process: keeps
//! the command line (`argc`, `argv`) in `options`, which lets fit_seeds start this program
//! again as workers, and returns nullopt. Every entry point calls it right after parsing
//! its command line, with all of its experiments; a program that does not call it runs
//! its seeds one after another.
PIPELINE_DECL std::optional<int>
serve_seed_worker(run_options& options, int argc, char** argv,
                  std::span<spec::experiment const* const> experiments);

} // namespace pipeline

#if defined(PIPELINE_HEADER_ONLY)
#include <pipeline/app/impl/program.ipp>
#endif
