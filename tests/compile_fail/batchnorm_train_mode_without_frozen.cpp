// EXPECT: pipeline: BatchNorm<TrainMode> changes BatchNorm in frozen blocks only
// Rule: the BatchNorm mode applies to frozen blocks; without any it has no effect.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<CIFAR10>
                 | Model<ResNet18, BatchNorm<TrainMode>>
                 | Loss<CrossEntropy>;
// clang-format on
