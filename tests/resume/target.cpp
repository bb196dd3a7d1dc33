// The experiment tests/resume/kill_resume.py kills and resumes: every kind of randomness a
// run draws from (Augment stages, MixUp, head dropout), a staged unfreeze and a weight
// average, on a few hundred Fashion-MNIST images.
#include <pipeline/pipeline.hpp>

using namespace pipeline;

// clang-format off
constexpr auto experiment = Load<FashionMNIST, Subset<256>>
                          | Augment<RandomCrop<28, 2>>
                          | Augment<HorizontalFlip>
                          | Augment<MixUp>
                          | Model<ResNet18,
                                  Frozen<Stem, Layer1>,
                                  Unfreeze<Layer1, AtEpoch<3>>,
                                  HeadDropout<0.3>,
                                  Ema<0.9>,
                                  FreezeRandomInit>
                          | Loss<SoftTargetCE>
                          | Optimizer<SGD, {.lr = 0.05}>
                          | Schedule<Cosine, {.warmup_epochs = 1}>
                          | Train<{.epochs = 5, .batch_size = 64, .eval_batch_size = 256}>;
// clang-format on

int main(int argc, char** argv) {
    return run(experiment, argc, argv);
}
