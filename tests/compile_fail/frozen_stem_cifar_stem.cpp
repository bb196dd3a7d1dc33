// EXPECT: pipeline: Frozen<Stem> with CifarStem and Pretrained<\.\.\.>
// Rule: CifarStem replaces a ResNet's first convolution, which is then never loaded, so a
// frozen stem would keep a random conv for the whole run.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<CIFAR10>
                 | Model<ResNet18, CifarStem, Frozen<Stem, Layer1>>
                 | Loss<CrossEntropy>;
// clang-format on
