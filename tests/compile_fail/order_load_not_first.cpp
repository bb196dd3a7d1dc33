// EXPECT: pipeline: Load<\.\.\.> must be the first stage
// Rule: stages follow the data flow; the dataset comes first.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Model<ResNet18>
                 | Load<FashionMNIST>
                 | Loss<CrossEntropy>;
// clang-format on
