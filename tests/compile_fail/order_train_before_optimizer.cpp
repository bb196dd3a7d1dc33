// EXPECT: pipeline: Optimizer<\.\.\.> goes after Loss and before Schedule and Train
// Rule: stages follow the data flow.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>
                 | Train<>
                 | Optimizer<SGD>;
// clang-format on
