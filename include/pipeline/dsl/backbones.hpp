// Every backbone descriptor (dsl/backbone.hpp says what one holds): the ResNets and the
// MobileNets. Blocks are the unit of every transfer-learning control (freezing,
// learning-rate scales, staged unfreezing), so each backbone declares them in data-flow
// order, at compile time. Torch-free.
#pragma once

#include <pipeline/dsl/backbones/mobilenet.hpp>
#include <pipeline/dsl/backbones/resnet.hpp>
