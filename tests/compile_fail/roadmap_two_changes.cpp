// EXPECT: pipeline: each roadmap step must be one controlled change from the one before
// A roadmap step must change one thing: the third step changes the loss and adds MixUp.
#include <pipeline/experiments.hpp>

using namespace pipeline;

// clang-format off
constexpr auto scratch = Load<CIFAR10>
                       | Model<ResNet18>
                       | Loss<CrossEntropy>;
constexpr auto probe = Load<CIFAR10>
                     | Model<ResNet18, Pretrained<ImageNet>, Frozen<Stem, Layer1, Layer2, Layer3, Layer4>>
                     | Loss<CrossEntropy>;
constexpr auto top = Load<CIFAR10>
                   | Model<ResNet18, Pretrained<ImageNet>, Frozen<Stem, Layer1, Layer2, Layer3>>
                   | Loss<CrossEntropy>;
constexpr auto both = Load<CIFAR10>
                    | Augment<MixUp>
                    | Model<ResNet18, Pretrained<ImageNet>, Frozen<Stem, Layer1, Layer2, Layer3>>
                    | Loss<SmoothedCE<0.1>>;
// clang-format on

int main(int argc, char** argv) {
    return roadmap(argc, argv, scratch, probe, top, both);
}
