// EXPECT: pipeline: two Unfreeze<\.\.\.> of one block
// Rule: a block unfreezes once.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18,
                         Frozen<Stem, Layer1>,
                         Unfreeze<Layer1, AtEpoch<2>>,
                         Unfreeze<Layer1, AtEpoch<3>>,
                         FreezeRandomInit>
                 | Loss<CrossEntropy>;
// clang-format on
