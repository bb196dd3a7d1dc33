// EXPECT: pipeline: Resize<N> needs N >= 1
// Rule: augmentation sizes are checked where they are written.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<CIFAR10>
                 | Augment<Resize<0>>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>;
// clang-format on
