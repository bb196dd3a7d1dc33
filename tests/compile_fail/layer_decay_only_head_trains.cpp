// EXPECT: pipeline: LayerDecay<f> scales the blocks below the head, but
// Rule: in a linear probe only the head trains, and LayerDecay gives the head factor 1, so
// it would change no rate.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<CIFAR10>
                 | Model<ResNet18, Frozen<Stem, Layer1, Layer2, Layer3, Layer4>, LayerDecay<0.8>>
                 | Loss<CrossEntropy>;
// clang-format on
