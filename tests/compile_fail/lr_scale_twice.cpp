// EXPECT: pipeline: two LrScale<\.\.\.> of one block
// Rule: one scale per block.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18, LrScale<Head, 10.0>, LrScale<Head, 5.0>>
                 | Loss<CrossEntropy>;
// clang-format on
