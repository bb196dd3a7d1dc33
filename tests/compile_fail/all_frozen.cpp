// EXPECT: pipeline: every block is frozen, so nothing would train
// Rule: at least one block trains from the first step.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18,
                         Frozen<Stem, Layer1, Layer2, Layer3, Layer4, Head>,
                         FreezeRandomInit>
                 | Loss<CrossEntropy>;
// clang-format on
