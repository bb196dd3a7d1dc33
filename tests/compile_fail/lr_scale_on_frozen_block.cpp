// EXPECT: pipeline: LrScale<Block, x> scales a block that Frozen<\.\.\.> freezes
// Rule: a rate factor on a block that never trains has no effect.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<CIFAR10>
                 | Model<ResNet18, Frozen<Stem, Layer1>, LrScale<Layer1, 0.1>>
                 | Loss<CrossEntropy>;
// clang-format on
