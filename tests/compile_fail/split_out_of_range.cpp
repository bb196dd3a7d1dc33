// EXPECT: pipeline: Split<f> needs 0 < f < 1
// Rule: a validation split holds out a proper fraction of the training set.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST, Split<1.0>>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>;
// clang-format on
