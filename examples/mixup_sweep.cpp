// A sweep in one binary: three MixUp strengths on CIFAR-10, one compile for all of them.
// `--list` prints the variants, `--variant K` runs one, neither runs all; each over
// --seeds, with a summary per variant.
//   build/examples/mixup_sweep --data-dir DIR --list
//   build/examples/mixup_sweep --data-dir DIR --variant 2 --seeds 3
#include <pipeline/pipeline.hpp>

using namespace pipeline;

// [docs:sweep]
// clang-format off
template <double Alpha>
constexpr auto with_mixup = Load<CIFAR10, Split<0.1>>
                          | Augment<RandomCrop<32, 4>>
                          | Augment<HorizontalFlip>
                          | Augment<MixUp, {.alpha = Alpha}>
                          | Model<ResNet18, CifarStem>
                          | Loss<SoftTargetCE>
                          | Optimizer<SGD, {.lr = 0.1}>
                          | Schedule<Cosine, {.warmup_epochs = 1}>
                          | Train<{.epochs = 10, .batch_size = 256}>;
// clang-format on

int main(int argc, char** argv) {
    return run_variants(argc, argv, with_mixup<0.2>, with_mixup<0.4>, with_mixup<1.0>);
}
// [docs:end]
