// EXPECT: pipeline: Train<\.\.\.> goes after Schedule and before Precision, Execute, Evaluate and Distributed
// Rule: Distributed is the last stage (data flow order).
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>
                 | Distributed<DDP>
                 | Train<{.epochs = 2}>;
// clang-format on
