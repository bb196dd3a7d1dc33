// EXPECT: BUILDS
// Every transfer option together, the way a fine-tuning run writes them.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18,
                         Frozen<Stem, Layer1, Layer2>,
                         Unfreeze<Layer2, AtEpoch<3>>,
                         LrScale<Head, 10.0>,
                         LayerDecay<0.8>,
                         BatchNorm<EvalMode>,
                         FreezeRandomInit>
                 | Loss<CrossEntropy>
                 | Train<{.epochs = 4}>;
// clang-format on
static_assert(validate(p));
