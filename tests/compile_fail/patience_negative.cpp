// EXPECT: pipeline: Train<\{\.patience\}> must be >= 0
// Rule: hyperparameters are checked where they are written.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>
                 | Train<{.epochs = 5, .patience = -1}>;
// clang-format on
