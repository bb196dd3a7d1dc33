// EXPECT: pipeline: Model<B, \.\.\.> takes at most one HeadDropout<p>
// Rule: one dropout rate before the classifier.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                   | Model<MobileNetV2, HeadDropout<0.2>, HeadDropout<0.3>>
                   | Loss<CrossEntropy>;
// clang-format on
