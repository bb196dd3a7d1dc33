// CIFAR-10 with the classic augmentations and MixUp, all on the training device: random
// crops with reflect padding, flips, then MixUp with soft targets (hence SoftTargetCE;
// Loss<CrossEntropy> here is a compile-time error); validation and test are also scored
// with flip test-time augmentation (the `tta` rows). The experiment itself is in
// cifar10_experiment.hpp, which examples/classify.cpp shares. Get the data with
// scripts/download-cifar10.sh DIR, then:
//   build/examples/cifar10_augment --data-dir DIR --epochs 1 --limit 2000
#include "cifar10_experiment.hpp"

int main(int argc, char** argv) {
    return pipeline::run(examples::cifar10_augment, argc, argv);
}
