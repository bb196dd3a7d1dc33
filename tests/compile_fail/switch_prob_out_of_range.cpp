// EXPECT: pipeline: Augment<MixUpCutMix, \{\.switch_prob\}> is a probability
// Rule: the switch between MixUp and CutMix is a probability.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<CIFAR10>
                 | Augment<MixUpCutMix, {.switch_prob = 1.5}>
                 | Model<ResNet18>
                 | Loss<SoftTargetCE>;
// clang-format on
