// EXPECT: pipeline: Schedule<OneCycle, \{\.pct_start\}> needs 0 < pct_start < 1
// Rule: the rise takes part of the run, not none or all of it.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>
                 | Schedule<OneCycle, {.pct_start = 1.0}>;
// clang-format on
