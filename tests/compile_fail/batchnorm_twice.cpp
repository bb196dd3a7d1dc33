// EXPECT: pipeline: Model<\.\.\.> takes at most one BatchNorm<Mode>
// Rule: one BatchNorm mode for frozen blocks.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                   | Model<ResNet18, BatchNorm<TrainMode>, BatchNorm<EvalMode>>
                   | Loss<CrossEntropy>;
// clang-format on
