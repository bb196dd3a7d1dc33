// The type layer: the stage vocabulary, composition, rules and names. Includes no torch
// header, so rule tests and compile-fail tests build in seconds.
#pragma once

#include <pipeline/dsl/at_most_one.hpp>
#include <pipeline/dsl/augment_rules.hpp>
#include <pipeline/dsl/augmentations.hpp>
#include <pipeline/dsl/backbone.hpp>
#include <pipeline/dsl/backbones.hpp>
#include <pipeline/dsl/blocks.hpp>
#include <pipeline/dsl/datasets.hpp>
#include <pipeline/dsl/describe.hpp>
#include <pipeline/dsl/evaluate.hpp>
#include <pipeline/dsl/experiment.hpp>
#include <pipeline/dsl/fixed_string.hpp>
#include <pipeline/dsl/losses.hpp>
#include <pipeline/dsl/model_options.hpp>
#include <pipeline/dsl/one_change.hpp>
#include <pipeline/dsl/optimizers.hpp>
#include <pipeline/dsl/parallelism.hpp>
#include <pipeline/dsl/pipeline.hpp>
#include <pipeline/dsl/rules.hpp>
#include <pipeline/dsl/run_checks.hpp>
#include <pipeline/dsl/schedule_rules.hpp>
#include <pipeline/dsl/schedules.hpp>
#include <pipeline/dsl/size_rules.hpp>
#include <pipeline/dsl/spec.hpp>
#include <pipeline/dsl/stages.hpp>
#include <pipeline/dsl/tags.hpp>
#include <pipeline/dsl/train_params.hpp>
#include <pipeline/dsl/transfer.hpp>
#include <pipeline/dsl/tunable.hpp>
