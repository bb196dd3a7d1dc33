// EXPECT: pipeline: MixUp/CutMix produce soft targets, but Loss<CrossEntropy> takes hard
// Rule: mixing produces soft targets; a hard-label loss cannot train on them (the
// wrong-loss bug timm selects around at run time, deit PR 91).
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
static_assert(
    validate(Load<CIFAR10>
           | Augment<MixUp, {.alpha = 0.2}>
           | Model<ResNet18>
           | Loss<CrossEntropy>));
// clang-format on
