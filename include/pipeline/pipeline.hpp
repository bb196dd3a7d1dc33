// The library for an experiment file: the type layer (the stages, `|`, the rules and the
// printed names) and the typed front (`run`, `compare`, `run_variants`, `roadmap`,
// `fit_seeds`). Header-only (the default), the core's definitions come with it, and with
// them every tensor header (<pipeline/all.hpp>). Built against pipeline::core
// (PIPELINE_SEPARATE_COMPILATION), it is the front alone: an experiment file that uses
// only built-in stages then includes no torch header, and a one-line edit recompiles the
// front, not the training loop. Stages of your own: <pipeline/extend.hpp>.
#pragma once

#include <pipeline/config.hpp>
#include <pipeline/dsl.hpp>
#include <pipeline/dsl/spec.hpp>
#include <pipeline/experiments.hpp>
#include <pipeline/run.hpp>

#if defined(PIPELINE_HEADER_ONLY)
#include <pipeline/all.hpp>
#endif
