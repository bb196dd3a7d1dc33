// EXPECT: pipeline: LayerDecay<f> needs 0 < f <= 1
// Rule: the decay shrinks rates towards the stem.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18, LayerDecay<1.5>>
                 | Loss<CrossEntropy>;
// clang-format on
