// EXPECT: pipeline: Frozen<\.\.\.> without Pretrained<\.\.\.> freezes random weights
// Rule: freezing random weights needs the explicit FreezeRandomInit.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18, Frozen<Stem, Layer1>>
                 | Loss<CrossEntropy>;
// clang-format on
