// EXPECT: pipeline: LrScale<Block, x> needs x > 0
// Rule: a zero scale is a frozen block in disguise.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18, LrScale<Stem, 0.0>>
                 | Loss<CrossEntropy>;
// clang-format on
