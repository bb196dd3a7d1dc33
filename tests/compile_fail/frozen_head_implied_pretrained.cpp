// EXPECT: pipeline: Frozen<Head> with Pretrained<\.\.\.> \(written, or implied
// Rule: the same when the weights are the ones Frozen<...> implies (Pretrained<ImageNet>).
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<CIFAR10>
                 | Model<MobileNetV2, Frozen<Stem, Head>>
                 | Loss<CrossEntropy>;
// clang-format on
