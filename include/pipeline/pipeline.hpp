// The whole library: the type layer, the data, the models and the training loop.
#pragma once

#include <pipeline/augment/augmentation.hpp>
#include <pipeline/augment/augmenter.hpp>
#include <pipeline/augment/crop.hpp>
#include <pipeline/augment/cutout.hpp>
#include <pipeline/augment/flip.hpp>
#include <pipeline/augment/mixup.hpp>
#include <pipeline/augment/normalize.hpp>
#include <pipeline/augment/resize.hpp>
#include <pipeline/compat.hpp>
#include <pipeline/data/batches.hpp>
#include <pipeline/data/cifar10.hpp>
#include <pipeline/data/dataset.hpp>
#include <pipeline/data/fashion_mnist.hpp>
#include <pipeline/data/idx.hpp>
#include <pipeline/dsl.hpp>
#include <pipeline/error.hpp>
#include <pipeline/models/backbone.hpp>
#include <pipeline/models/resnet.hpp>
#include <pipeline/random.hpp>
#include <pipeline/run.hpp>
#include <pipeline/train/fit.hpp>
#include <pipeline/train/loss.hpp>
#include <pipeline/train/optimizer.hpp>
#include <pipeline/train/results.hpp>
#include <pipeline/train/schedule.hpp>
