// EXPECT: pipeline: Load<D> takes a dataset
// Rule: a stage argument must be of the stage's kind.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<ResNet18>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>;
// clang-format on
