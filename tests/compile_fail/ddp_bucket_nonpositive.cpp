// EXPECT: pipeline: Distributed<DDP, \{\.bucket_mb\}> must be > 0
// Rule: hyperparameters are checked where they are written.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>
                 | Distributed<DDP, {.bucket_mb = 0}>;
// clang-format on
