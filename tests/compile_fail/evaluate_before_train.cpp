// EXPECT: pipeline: Train<\.\.\.> goes after Schedule and before Precision, Execute, Evaluate
// Rule: stages are written in data-flow order.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>
                 | Evaluate<TTA<HorizontalFlip>>
                 | Train<{.epochs = 2}>;
// clang-format on
