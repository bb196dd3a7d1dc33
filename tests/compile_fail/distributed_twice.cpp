// EXPECT: pipeline: two Distributed stages
// Rule: Distributed is unique.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>
                 | Distributed<DDP>
                 | Distributed<DDP, {.bucket_mb = 50}>;
// clang-format on
