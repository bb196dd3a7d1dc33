// EXPECT: pipeline: Loss<L> takes a loss
// Rule: a stage argument must be of the stage's kind (a backbone is no loss).
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18>
                 | Loss<ResNet18>;
// clang-format on
