// EXPECT: pipeline: the warm-up of Schedule<\.\.\., \{\.warmup_epochs\}> is
// Rule: a warm-up as long as the run leaves no step for the decay it warms up to (the
// schedule's run-time clamp to the run's length would hide it).
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
static_assert(validate(Load<FashionMNIST>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>
                     | Schedule<Cosine, {.warmup_epochs = 4}>
                     | Train<{.epochs = 4}>));
// clang-format on
