// The CIFAR-10 experiment of examples/cifar10_augment.cpp, in a header of its own because
// examples/classify.cpp needs the same type: a model is read back by the pipeline that
// trained it (its metadata names the experiment, and another pipeline's model is refused).
#pragma once

#include <pipeline/pipeline.hpp>

namespace examples {
using namespace pipeline;

// clang-format off
constexpr auto cifar10_augment =
      Load<CIFAR10, Split<0.1>>  // 45,000 train, 5,000 validation
    | Augment<RandomCrop<32, 4>> // pad 4 (reflect), crop 32x32
    | Augment<HorizontalFlip>    // mirror half the images
    | Augment<MixUp, {.alpha = 0.2}>        // soft targets from here on
    | Model<ResNet18>            // 3 channels in, 10 classes out
    | Loss<SoftTargetCE>         // accepts the soft targets
    | Optimizer<SGD, {.lr = 0.1}>
    | Schedule<Cosine, {.warmup_epochs = 1}>
    | Train<{.epochs = 30, .batch_size = 256}>
    | Evaluate<TTA<HorizontalFlip>>; // also scored on mirrored views
// clang-format on
} // namespace examples
