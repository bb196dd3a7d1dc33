// EXPECT: pipeline: Unfreeze<Block, \.\.\.> names a block that is not in Frozen
// Rule: only a frozen block can be unfrozen (otherwise it is a typo for another block).
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18,
                         Frozen<Stem, Layer1>,
                         Unfreeze<Layer2, AtEpoch<2>>,
                         FreezeRandomInit>
                 | Loss<CrossEntropy>;
// clang-format on
