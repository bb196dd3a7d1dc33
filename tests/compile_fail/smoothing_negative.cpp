// EXPECT: pipeline: SmoothedCE<eps> needs 0 <= eps < 1
// Rule: label smoothing lies in [0, 1).
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18>
                 | Loss<SmoothedCE<-0.1>>;
// clang-format on
