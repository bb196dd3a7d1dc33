// EXPECT: pipeline: two Normalize stages
// Rule: images are normalised once.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
static_assert(validate(Load<CIFAR10>
                     | Augment<Normalize<>>
                     | Augment<Normalize<>>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>));
// clang-format on
