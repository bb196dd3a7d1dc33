// EXPECT: pipeline: Optimizer<AdamW, \{\.lr\}> needs a positive learning rate
// Rule: hyperparameters are checked where they are written (the second argument).
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>
                 | Optimizer<AdamW, {.lr = -1e-3}>;
// clang-format on
