// EXPECT: pipeline: Execute<\.\.\.> takes the options ChannelsLast, Deterministic and CudaGraph
// Rule: Execute<...> names how the step executes, nothing else.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>
                 | Execute<BF16>;
// clang-format on
