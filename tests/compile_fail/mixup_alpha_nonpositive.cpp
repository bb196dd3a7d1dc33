// EXPECT: pipeline: Augment<MixUp, \{\.alpha\}> needs alpha > 0
// Rule: Beta(alpha, alpha) needs a positive alpha.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<CIFAR10>
                 | Augment<MixUp, {.alpha = 0.0}>
                 | Model<ResNet18>
                 | Loss<SoftTargetCE>;
// clang-format on
