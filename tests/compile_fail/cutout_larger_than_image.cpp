// EXPECT: pipeline: Cutout<n> is larger than the images it receives
// Rule: a hole larger than the image blanks it entirely.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
static_assert(validate(Load<CIFAR10>
                     | Augment<RandomCrop<24>>
                     | Augment<Cutout<30>>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>));
// clang-format on
