// EXPECT: pipeline: RandomCrop<size, pad> is larger than the images it receives
// Rule: sizes are known at compile time; a 32-pixel crop of 28x28 Fashion-MNIST would
// make training and evaluation shapes differ.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
static_assert(validate(Load<FashionMNIST>
                     | Augment<RandomCrop<32, 4>>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>));
// clang-format on
