// EXPECT: pipeline: Train<\{\.keep_best\}> must be from 1
// Rule: a run of N epochs has at most N models to keep.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>
                 | Train<{.epochs = 3, .keep_best = 4}>;
// clang-format on
