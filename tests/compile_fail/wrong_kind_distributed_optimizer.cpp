// EXPECT: pipeline: Distributed<S> takes a parallelism strategy
// Rule: a stage checks the category of its argument.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>
                 | Distributed<SGD>;
// clang-format on
