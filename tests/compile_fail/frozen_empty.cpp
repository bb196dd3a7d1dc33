// EXPECT: pipeline: Frozen<\.\.\.> needs at least one block
// Rule: Frozen<> freezes nothing.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18, Frozen<>>
                 | Loss<CrossEntropy>;
// clang-format on
