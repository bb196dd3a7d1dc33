// A user's own experiment: the quick start with one controlled change per line. Each
// line is a type, so `git diff` shows exactly what changed and the run's first line
// prints it. Build it, then: build/examples/custom_experiment --epochs 1 --limit 2000
#include <pipeline/pipeline.hpp>

using namespace pipeline;

// [docs:custom_experiment]
// clang-format off
constexpr auto experiment =
      Load<FashionMNIST, Subset<30000>, Split<0.1>> // data, with a held-out validation split
    | Model<ResNet18>                               // backbone; the head gets 10 classes
    | Loss<SmoothedCE<0.1>>                         // label smoothing instead of plain CE
    | Optimizer<AdamW, {.lr = 1e-3, .weight_decay = 0.05}>
    | Schedule<Cosine, {.warmup_epochs = 1, .min_lr = 1e-5}>
    | Train<{.epochs = 4, .batch_size = 128, .clip_grad_norm = 5.0}>;
// clang-format on
// [docs:end]

int main(int argc, char** argv) {
    return run(experiment, argc, argv);
}
