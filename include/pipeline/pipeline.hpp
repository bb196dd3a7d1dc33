// The whole library: the type layer, the data, the models and the training loop.
#pragma once

#include <pipeline/compat.hpp>
#include <pipeline/data/batches.hpp>
#include <pipeline/data/dataset.hpp>
#include <pipeline/data/fashion_mnist.hpp>
#include <pipeline/data/idx.hpp>
#include <pipeline/dsl.hpp>
#include <pipeline/error.hpp>
#include <pipeline/models/backbone.hpp>
#include <pipeline/models/resnet.hpp>
#include <pipeline/random.hpp>
#include <pipeline/run.hpp>
#include <pipeline/train/checkpoint.hpp>
#include <pipeline/train/ema.hpp>
#include <pipeline/train/fit.hpp>
#include <pipeline/train/loss.hpp>
#include <pipeline/train/multi_tensor.hpp>
#include <pipeline/train/optimizer.hpp>
#include <pipeline/train/plan.hpp>
#include <pipeline/train/results.hpp>
#include <pipeline/train/schedule.hpp>
#include <pipeline/train/transfer.hpp>
