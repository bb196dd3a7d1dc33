// EXPECT: pipeline: Optimizer<O> takes an optimizer
// Rule: a stage argument must be of the stage's kind.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>
                 | Optimizer<CrossEntropy>;
// clang-format on
