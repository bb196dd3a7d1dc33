// EXPECT: pipeline: Train<\{\.batch_size\}> must divide by Train<\{\.accumulate\}>
// Rule: a batch runs as equal micro-batches.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>
                 | Train<{.batch_size = 100, .accumulate = 3}>;
// clang-format on
