// EXPECT: pipeline: Execute<CudaGraph> and Distributed<DDP> do not combine
// Rule: the data-parallel all-reduce runs from autograd hooks that a replay does not redo.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<CIFAR10>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>
                 | Train<>
                 | Execute<ChannelsLast, CudaGraph>
                 | Distributed<DDP>;
// clang-format on

static_assert(validate(p));
