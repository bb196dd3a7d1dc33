// EXPECT: pipeline: RandomCrop<size, pad> pads by reflection, which needs pad
// Rule: reflection mirrors pixels inside the image, so a 28-pixel pad needs images larger
// than 28x28 (Fashion-MNIST's are 28x28).
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
static_assert(validate(Load<FashionMNIST>
                     | Augment<RandomCrop<28, 28>>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>));
// clang-format on
