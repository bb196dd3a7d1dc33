// EXPECT: pipeline: Augment<A> takes an augmentation
// Rule: a loss is not an augmentation.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<CIFAR10>
                 | Augment<SoftTargetCE>
                 | Model<ResNet18>
                 | Loss<SoftTargetCE>;
// clang-format on
