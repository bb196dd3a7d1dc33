// EXPECT: pipeline: SmoothedCE<eps> needs 0 <= eps < 1
// Rule: label smoothing lies in [0, 1); eps = 1 makes every target uniform.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18>
                 | Loss<SmoothedCE<1.0>>;
// clang-format on
