// EXPECT: pipeline: Load<D, \.\.\.> takes at most one Subset<N>
// Rule: one Subset<N> per Load (which size would hold?).
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST, Subset<100>, Subset<200>>
                   | Model<ResNet18>
                   | Loss<CrossEntropy>;
// clang-format on
