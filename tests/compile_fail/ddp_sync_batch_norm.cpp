// EXPECT: pipeline: Distributed<DDP, \{\.sync_batch_norm = true\}> is not implemented
// Rule: an option that would not do what it says is refused.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>
                 | Distributed<DDP, {.sync_batch_norm = true}>;
// clang-format on
