// EXPECT: pipeline: two Loss stages
// Rule: Loss is unique.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>
                 | Loss<SmoothedCE<0.1>>;
// clang-format on
