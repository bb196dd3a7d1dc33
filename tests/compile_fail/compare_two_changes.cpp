// EXPECT: pipeline: compare\(A, B\) needs A and B one controlled change apart
// A comparison must change one thing: here the loss and an augmentation both differ.
#include <pipeline/experiments.hpp>

using namespace pipeline;

// clang-format off
constexpr auto a = Load<CIFAR10>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>;
constexpr auto b = Load<CIFAR10>
                 | Augment<HorizontalFlip>
                 | Model<ResNet18>
                 | Loss<SmoothedCE<0.1>>;
// clang-format on

int main(int argc, char** argv) {
    return compare(a, b, argc, argv);
}
