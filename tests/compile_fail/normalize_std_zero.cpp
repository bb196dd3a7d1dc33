// EXPECT: pipeline: Normalize<mean, std> needs every std > 0
// Rule: dividing by a zero std gives infinities.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<CIFAR10>
                 | Augment<Normalize<{0.5, 0.5, 0.5}, {0.5, 0.0, 0.5}>>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>;
// clang-format on
