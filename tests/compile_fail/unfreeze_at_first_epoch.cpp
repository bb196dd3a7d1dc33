// EXPECT: pipeline: Unfreeze<Block, AtEpoch<1>> unfreezes before the first step
// Rule: unfreezing at epoch 1 is not freezing at all.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18,
                         Frozen<Stem>,
                         Unfreeze<Stem, AtEpoch<1>>,
                         FreezeRandomInit>
                 | Loss<CrossEntropy>;
// clang-format on
