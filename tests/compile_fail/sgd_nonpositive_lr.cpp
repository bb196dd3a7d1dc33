// EXPECT: pipeline: Optimizer<SGD, \{\.lr\}> needs a positive learning rate
// Rule: hyperparameters are checked where they are written.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>
                 | Optimizer<SGD, {.lr = 0.0}>;
// clang-format on
