// EXPECT: pipeline: two mixing stages
// Rule: one mixing stage; MixUpCutMix switches between the two per example.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
static_assert(validate(Load<CIFAR10>
                     | Augment<MixUp, {.alpha = 0.8}>
                     | Augment<CutMix>
                     | Model<ResNet18>
                     | Loss<SoftTargetCE>));
// clang-format on
