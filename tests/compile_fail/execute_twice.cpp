// EXPECT: pipeline: two Execute stages
// Rule: one Execute stage names every option.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>
                 | Execute<ChannelsLast>
                 | Execute<Deterministic>;
// clang-format on
