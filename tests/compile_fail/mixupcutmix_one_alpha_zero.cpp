// EXPECT: pipeline: Augment<MixUpCutMix, \{\.mixup_alpha, \.cutmix_alpha\}> needs both
// alphas > 0 Rule: MixUpCutMix with one alpha 0 is MixUp or CutMix alone, and switch_prob
// would have no effect (timm ignores it then): write that stage instead.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<CIFAR10>
                 | Augment<MixUpCutMix, {.mixup_alpha = 0.0, .switch_prob = 0.0}>
                 | Model<ResNet18>
                 | Loss<SoftTargetCE>;
// clang-format on
