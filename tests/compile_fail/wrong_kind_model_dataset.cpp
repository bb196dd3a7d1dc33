// EXPECT: pipeline: Model<B, \.\.\.> takes a backbone
// Rule: a stage argument must be of the stage's kind.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<FashionMNIST>
                 | Loss<CrossEntropy>;
// clang-format on
