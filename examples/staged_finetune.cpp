// Staged fine-tuning: the stem and first stages frozen, Layer2 unfrozen at epoch 3, the
// head at ten times the rate, a layer-wise decay below it and a weight average. The plan
// printed before the first step shows every block. Build it, then:
//   build/examples/staged_finetune --epochs 4 --limit 2000
//   build/examples/staged_finetune --stop-after 2 ...; then --resume runs/<that run>
// (FreezeRandomInit freezes the random initialisation; without it, Frozen<...> would
// load the backbone's ImageNet weights, as if Pretrained<ImageNet> were written.)
#include <pipeline/pipeline.hpp>

using namespace pipeline;

// clang-format off
constexpr auto experiment = Load<FashionMNIST, Subset<30000>, Split<0.1>>
                          | Model<ResNet18,
                                  Frozen<Stem, Layer1, Layer2>,
                                  Unfreeze<Layer2, AtEpoch<3>>,
                                  LrScale<Head, 10.0>,
                                  LayerDecay<0.8>,
                                  Ema<0.999>,
                                  FreezeRandomInit>
                          | Loss<CrossEntropy>
                          | Optimizer<SGD, {.lr = 0.01}>
                          | Schedule<OneCycle, {.pct_start = 0.25}>
                          | Train<{.epochs = 4}>;
// clang-format on

int main(int argc, char** argv) {
    return run(experiment, argc, argv);
}
