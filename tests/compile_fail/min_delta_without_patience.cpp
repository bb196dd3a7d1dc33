// EXPECT: pipeline: Train<\{\.min_delta\}> without Train<\{\.patience\}> does nothing
// Rule: an option that has no effect is refused, not ignored.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>
                 | Train<{.epochs = 5, .min_delta = 0.01}>;
// clang-format on
