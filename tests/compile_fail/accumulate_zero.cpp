// EXPECT: pipeline: Train<\{\.accumulate\}> must be at least 1
// Rule: hyperparameters are checked where they are written.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>
                 | Train<{.batch_size = 128, .accumulate = 0}>;
// clang-format on
