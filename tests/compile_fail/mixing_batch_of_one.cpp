// EXPECT: pipeline: MixUp/CutMix mix each example with another of its batch
// Rule: alone in its batch, an example is mixed with itself, which changes nothing.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
static_assert(validate(Load<CIFAR10>
                     | Augment<MixUp>
                     | Model<ResNet18>
                     | Loss<SoftTargetCE>
                     | Train<{.batch_size = 1}>));
// clang-format on
