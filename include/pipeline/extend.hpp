// What a stage of your own needs (concepts/ says what each extension point asks for): the
// interface of each extension point that the compiled core calls it through, and the
// helpers the built-in stages use. Include it where you specialise dataset_loader<D>,
// augmentation_impl<A>, backbone_builder<B>, loss_function<L> or optimizer_builder<O> (a
// schedule's formula, schedule_formula<S>, needs no tensor header). Only your stage's code
// is then compiled in your file; the loop stays compiled once in pipeline::core.
#pragma once

#include <torch/torch.h>

#include <pipeline/augment/augmentation.hpp>
#include <pipeline/data/batches.hpp>
#include <pipeline/data/dataset.hpp>
#include <pipeline/error.hpp>
#include <pipeline/models/backbone.hpp>
#include <pipeline/models/layers.hpp>
#include <pipeline/pipeline.hpp>
#include <pipeline/train/loss.hpp>
#include <pipeline/train/optimizer.hpp>
#include <pipeline/train/schedule.hpp>
#include <pipeline/train/transfer.hpp>
