// EXPECT: pipeline: two Optimizer stages
// Rule: Optimizer is unique.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                   | Model<ResNet18>
                   | Loss<CrossEntropy>
                   | Optimizer<SGD>
                   | Optimizer<AdamW>;
// clang-format on
