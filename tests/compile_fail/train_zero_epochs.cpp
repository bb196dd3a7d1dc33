// EXPECT: pipeline: Train<\{\.epochs\}> must be at least 1
// Rule: a run trains for at least one epoch.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>
                 | Train<{.epochs = 0}>;
// clang-format on
