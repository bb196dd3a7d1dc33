// EXPECT: pipeline: two Precision stages
// Rule: a run computes in one number format.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>
                 | Precision<BF16>
                 | Precision<FP16>;
// clang-format on
