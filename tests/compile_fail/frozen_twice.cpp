// EXPECT: pipeline: a block is frozen twice
// Rule: each block is named once in Frozen<...>.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18, Frozen<Stem, Layer1>, Frozen<Layer1>, FreezeRandomInit>
                 | Loss<CrossEntropy>;
// clang-format on
