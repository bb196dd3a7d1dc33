// The one entry-point skeleton behind `run`, `compare`, `run_variants` and `roadmap`: the
// command line (the standard options, --seeds, and for several experiments the option
// that picks one and --list), the seed worker's dispatch, then the work, guarded so that
// an error is one line and exit code 1. The typed front (run.hpp, experiments.hpp) checks
// the pipelines at compile time and describes the program as plain values; the skeleton
// is compiled once (app/impl/program.ipp). Torch-free.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <pipeline/config.hpp>
#include <pipeline/dsl/spec.hpp>

namespace pipeline {

struct run_options;

//! What a program runs.
enum class program_kind {
    //! One experiment (over --seeds).
    run,
    //! A and B, one controlled change apart, over the same seeds, and the verdict.
    compare,
    //! Several experiments in one binary; --variant K picks one.
    variants,
    //! Steps, each one change from the one before, then a reference; --step K picks one.
    roadmap
};

//! A program of experiments, as plain values.
struct program {
    program_kind kind = program_kind::run;
    //! run: one; compare: A, B; variants: each; roadmap: the steps, then the reference.
    std::vector<spec::experiment const*> experiments;
    //! compare: what differs, `diff(A, B)`.
    std::string difference;
    //! roadmap: "start: <first step>", then each step's change on one line.
    std::vector<std::string> changes;
    //! Header-only: the work of this kind (dsl/spec.hpp, "what the type names"), so that
    //! a file that runs one experiment compiles no comparison or roadmap.
    void (*work)(program const&, run_options const&, int seeds, int pick) = nullptr;
};

namespace builtin {
template <program_kind K>
void program_work(program const& p, run_options const& options, int seeds, int pick);
} // namespace builtin

//! The program of kind K over `experiments`, naming its work where the records name their
//! code (header-only).
template <program_kind K>
program make_program(std::vector<spec::experiment const*> experiments,
                     std::string difference = {}, std::vector<std::string> changes = {}) {
    program p{K, std::move(experiments), std::move(difference), std::move(changes)};
    if constexpr (records_name_their_code)
        p.work = &builtin::program_work<K>;
    return p;
}

//! Parses the command line, serves a seed worker, or does the program's work; returns the
//! process exit code (0; 1 after an error, printed as one line; CLI11's code for what it
//! refuses).
PIPELINE_DECL int run_program(program const& p, int argc, char** argv);

} // namespace pipeline

#if defined(PIPELINE_HEADER_ONLY)
#include <pipeline/app/impl/program.ipp>
#endif
