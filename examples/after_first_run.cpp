// After the first run (docs/tutorial.md, section 10): the quick start's ResNet-18 on
// Fashion-MNIST with the tools a practitioner reaches for next, each a field or a stage:
// batches of 256 run as two micro-batches of 128 (gradient accumulation: the update of
// one batch of 256 at the memory of 128), early stopping after 2 epochs without half a
// point of validation accuracy, the 2 best epochs' models kept, and flip test-time
// augmentation beside the single view, on mirrored views the model was trained on (every
// shoe in Fashion-MNIST points left: without Augment<HorizontalFlip>, the mirrored view
// cost 8.5 points of test accuracy in the run docs/tutorial.md reports). Like every run,
// it writes report.md and confusion.svg (per-class figures) and a TensorBoard event file;
// with --find-lr it sweeps the learning rate instead of training.
//   build/examples/after_first_run --device cpu --find-lr
//   build/examples/after_first_run --device cpu --limit 9000
#include <pipeline/pipeline.hpp>

using namespace pipeline;

// clang-format off
// [docs:after_first_run]
constexpr auto experiment = Load<FashionMNIST, Subset<30000>, Split<0.1>>
                          | Augment<HorizontalFlip>
                          | Model<ResNet18>
                          | Loss<CrossEntropy>
                          | Optimizer<SGD, {.lr = 0.05, .momentum = 0.9}>
                          | Schedule<Cosine>
                          | Train<{.epochs = 8, .batch_size = 256, .accumulate = 2, .patience = 2, .min_delta = 0.005, .keep_best = 2}>
                          | Evaluate<TTA<HorizontalFlip>>;
// [docs:end]
// clang-format on

int main(int argc, char** argv) {
    return run(experiment, argc, argv);
}
