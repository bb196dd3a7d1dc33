// EXPECT: pipeline: Schedule<Cosine, \{\.min_lr\}> is not below the rate of
// Rule: the cosine decays from the optimizer's rate to min_lr; a floor at or above the
// rate is a flat (or rising) schedule.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
static_assert(validate(Load<FashionMNIST>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>
                     | Optimizer<SGD, {.lr = 0.01}>
                     | Schedule<Cosine, {.min_lr = 0.01}>));
// clang-format on
