// EXPECT: pipeline: Model<\.\.\.> takes at most one Ema<decay>
// Rule: one weight average.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                   | Model<ResNet18, Ema<0.999>, Ema<0.9999>>
                   | Loss<CrossEntropy>;
// clang-format on
