// EXPECT: pipeline: Precision<\.\.\.> goes after Train and before Execute
// Rule: stages are written in data-flow order.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>
                 | Execute<ChannelsLast>
                 | Precision<BF16>;
// clang-format on
