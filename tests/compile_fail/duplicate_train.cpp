// EXPECT: pipeline: two Train stages
// Rule: Train is unique.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>
                 | Train<{.epochs = 2}>
                 | Train<{.epochs = 3}>;
// clang-format on
