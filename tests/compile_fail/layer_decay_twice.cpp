// EXPECT: pipeline: Model<\.\.\.> takes at most one LayerDecay<f>
// Rule: one layer-wise decay.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18, LayerDecay<0.7>, LayerDecay<0.8>>
                 | Loss<CrossEntropy>;
// clang-format on
