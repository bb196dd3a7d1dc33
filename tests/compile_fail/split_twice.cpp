// EXPECT: pipeline: Load<D, \.\.\.> takes at most one Split<f>
// Rule: one Split<f> per Load (which fraction would be held out?).
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST, Split<0.1>, Split<0.2>>
                   | Model<ResNet18>
                   | Loss<CrossEntropy>;
// clang-format on
