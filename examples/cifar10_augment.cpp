// CIFAR-10 with the classic augmentations and MixUp, all on the training device: random
// crops with reflect padding, flips, then MixUp with soft targets (hence SoftTargetCE;
// Loss<CrossEntropy> here is a compile-time error). Get the data with
// scripts/download-cifar10.sh DIR, then:
//   build/examples/cifar10_augment --data-dir DIR --epochs 1 --limit 2000
#include <pipeline/pipeline.hpp>

using namespace pipeline;

// clang-format off
constexpr auto experiment =
      Load<CIFAR10, Split<0.1>>  // 45,000 train, 5,000 validation
    | Augment<RandomCrop<32, 4>> // pad 4 (reflect), crop 32x32
    | Augment<HorizontalFlip>    // mirror half the images
    | Augment<MixUp, {.alpha = 0.2}>        // soft targets from here on
    | Model<ResNet18>            // 3 channels in, 10 classes out
    | Loss<SoftTargetCE>         // accepts the soft targets
    | Optimizer<SGD, {.lr = 0.1}>
    | Schedule<Cosine, {.warmup_epochs = 1}>
    | Train<{.epochs = 30, .batch_size = 256}>;
// clang-format on

int main(int argc, char** argv) {
    return run(experiment, argc, argv);
}
