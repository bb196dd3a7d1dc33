// EXPECT: pipeline: Model<\.\.\.> goes after Load and Augment and before Loss
// Rule: stages follow the data flow; the model comes before its loss.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Loss<CrossEntropy>
                 | Model<ResNet18>;
// clang-format on
