// EXPECT: pipeline: MixUp/CutMix must be the last Augment stage
// Rule: pixel augmentations after mixing would change the areas the targets are weighted
// by.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
static_assert(validate(Load<CIFAR10>
                     | Augment<CutMix>
                     | Augment<RandomCrop<32, 4>>
                     | Model<ResNet18>
                     | Loss<SoftTargetCE>));
// clang-format on
