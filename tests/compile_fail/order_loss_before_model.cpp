// EXPECT: pipeline: Model<\.\.\.> goes after Load and Augment and before Loss \(data flows
// Load \| Augment\.\.\. \| Model \| Loss \| Optimizer \| Schedule \| Train \| Distributed\)
// Rule: stages follow the data flow; the model comes before its loss.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Loss<CrossEntropy>
                 | Model<ResNet18>;
// clang-format on
