// EXPECT: pipeline: Train<\{\.min_delta\}> is an accuracy difference
// Rule: validation accuracy is a fraction: a min_delta of 1 or more never improves.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>
                 | Train<{.epochs = 5, .patience = 2, .min_delta = 1.5}>;
// clang-format on
