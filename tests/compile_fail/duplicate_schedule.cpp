// EXPECT: pipeline: two Schedule stages
// Rule: Schedule is unique.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                   | Model<ResNet18>
                   | Loss<CrossEntropy>
                   | Schedule<Cosine>
                   | Schedule<Constant>;
// clang-format on
