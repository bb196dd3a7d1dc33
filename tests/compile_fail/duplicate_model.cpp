// EXPECT: pipeline: two Model stages
// Rule: Model is unique (compare two models with two pipelines).
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18>
                 | Model<ResNet34>;
// clang-format on
