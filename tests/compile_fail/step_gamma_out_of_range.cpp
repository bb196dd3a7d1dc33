// EXPECT: pipeline: Schedule<Step, \{\.gamma\}> needs 0 < gamma <= 1
// Rule: a step schedule decays.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>
                 | Schedule<Step, {.every_epochs = 3, .gamma = 2.0}>;
// clang-format on
