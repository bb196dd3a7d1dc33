// EXPECT: pipeline: FreezeRandomInit has no effect here
// Rule: FreezeRandomInit keeps frozen blocks random; with Pretrained<ImageNet> loading
// every frozen block here, it would change nothing.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<CIFAR10>
                 | Model<ResNet18, Pretrained<ImageNet>, Frozen<Stem>, FreezeRandomInit>
                 | Loss<CrossEntropy>;
// clang-format on
