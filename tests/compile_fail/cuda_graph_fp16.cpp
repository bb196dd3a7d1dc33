// EXPECT: pipeline: Execute<CudaGraph> cannot replay Precision<FP16>'s loss scaling
// Rule: a captured step may not depend on a host read; FP16's GradScaler decides on the
// host whether to skip the update.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<CIFAR10>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>
                 | Train<>
                 | Precision<FP16>
                 | Execute<CudaGraph>;
// clang-format on

static_assert(validate(p));
