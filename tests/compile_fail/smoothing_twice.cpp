// EXPECT: pipeline: label smoothing applied twice
// Rule: smoothing folded into the mixed targets and smoothing in the loss would smooth
// twice; keep one.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
static_assert(validate(Load<CIFAR10>
                     | Augment<MixUp, {.alpha = 0.2, .smoothing = 0.1}>
                     | Model<ResNet18>
                     | Loss<SmoothedCE<0.1>>));
// clang-format on
