// EXPECT: pipeline: Precision<\.\.\.> goes after Train and before Execute, Evaluate
// Rule: stages are written in data-flow order.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>
                 | Evaluate<TTA<HorizontalFlip>>
                 | Precision<BF16>;
// clang-format on
