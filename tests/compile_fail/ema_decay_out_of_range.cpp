// EXPECT: pipeline: Ema<decay> needs 0 < decay < 1
// Rule: an average with decay 1 never moves; with 0 it is the model itself.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18, Ema<1.0>>
                 | Loss<CrossEntropy>;
// clang-format on
