// EXPECT: pipeline: Normalize<\.\.\.> must be the first Augment stage
// Rule: normalisation happens at the gather, so the order written must say so.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
static_assert(validate(Load<CIFAR10>
                     | Augment<HorizontalFlip>
                     | Augment<Normalize<>>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>));
// clang-format on
