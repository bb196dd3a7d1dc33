// EXPECT: BUILDS
// Valid pipelines at the edge of every cross-stage rule: the rules must not reject any
// of them.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
// The largest warm-up of the default 10-epoch run, and a floor just below the rate.
static_assert(validate(Load<FashionMNIST>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>
                     | Optimizer<SGD, {.lr = 0.05}>
                     | Schedule<Cosine, {.warmup_epochs = 9.5, .min_lr = 0.0499}>));
// A step that decays in the last epoch, after a warm-up as long as its interval.
static_assert(validate(Load<FashionMNIST>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>
                     | Schedule<Step, {.every_epochs = 3, .warmup_epochs = 3}>
                     | Train<{.epochs = 4}>));
// OneCycle fits any run, even one epoch.
static_assert(validate(Load<FashionMNIST>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>
                     | Schedule<OneCycle>
                     | Train<{.epochs = 1}>));
// A fixed random classifier on a pretrained body, on purpose.
static_assert(validate(Load<CIFAR10>
                     | Model<ResNet18, Pretrained<ImageNet>, Frozen<Head>, FreezeRandomInit>
                     | Loss<CrossEntropy>));
// A frozen random CifarStem, on purpose; a pretrained CifarStem model whose stem trains.
static_assert(validate(Load<CIFAR10>
                     | Model<ResNet18, CifarStem, Frozen<Stem>, FreezeRandomInit>
                     | Loss<CrossEntropy>));
static_assert(validate(Load<CIFAR10>
                     | Model<ResNet18, Pretrained<ImageNet>, CifarStem, Frozen<Layer1>>
                     | Loss<CrossEntropy>));
// LayerDecay with blocks frozen for the whole run; LrScale on a block unfrozen in the last
// epoch; BatchNorm<TrainMode> with a frozen block; NonStrict on the implied weights.
static_assert(validate(Load<CIFAR10>
                     | Model<ResNet18,
                             Frozen<Stem, Layer1, Layer2>,
                             Unfreeze<Layer2, AtEpoch<10>>,
                             LrScale<Layer2, 0.5>,
                             LayerDecay<0.8>,
                             BatchNorm<TrainMode>,
                             NonStrict>
                     | Loss<CrossEntropy>));
// The whole training set as a Subset; a training split of exactly one batch.
static_assert(validate(Load<CIFAR10, Subset<50000>, Split<0.1>>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>));
static_assert(validate(Load<FashionMNIST, Subset<1000>, Split<0.1>>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>
                     | Train<{.batch_size = 900}>));
// The smallest hold-out that rounds to one example.
static_assert(validate(Load<FashionMNIST, Subset<1000>, Split<0.0005>>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>));
// Mixing with a batch of two; reflect padding one pixel short of the image.
static_assert(validate(Load<FashionMNIST>
                     | Augment<RandomCrop<28, 27>>
                     | Augment<CutMix>
                     | Model<ResNet18>
                     | Loss<SoftTargetCE>
                     | Train<{.batch_size = 2}>));
// An ImageFolder's sizes are checked at run time (dsl/run_checks.hpp).
static_assert(validate(Load<ImageFolder<"photos", {.classes = 2}>, Subset<1000000>, Split<0.0001>>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>
                     | Train<{.batch_size = 4096}>));
// clang-format on

int main() {}
