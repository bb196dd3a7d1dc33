// EXPECT: pipeline: Precision<FP16, \{\.backoff_factor\}> must be in \(0, 1\)
// Rule: the loss scale shrinks after an overflow.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>
                 | Precision<FP16, {.backoff_factor = 2.0}>;
// clang-format on
