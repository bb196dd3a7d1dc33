// EXPECT: pipeline: label smoothing applied twice
// Rule: the same for MixUpCutMix with its .smoothing field.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
static_assert(validate(Load<CIFAR10>
                     | Augment<MixUpCutMix, {.smoothing = 0.1}>
                     | Model<ResNet18>
                     | Loss<SmoothedCE<0.05>>));
// clang-format on
