// EXPECT: pipeline: Train<\{\.patience\}> must be less than Train<\{\.epochs\}>
// Rule: early stopping that a run of this length can never reach is a mistake.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>
                 | Train<{.epochs = 5, .patience = 5}>;
// clang-format on
