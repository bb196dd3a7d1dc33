// The quick start: ResNet-18 trained from scratch on Fashion-MNIST (Debian's
// dataset-fashion-mnist), on 27,000 of the training images (3,000 more held out for
// validation) for 4 epochs: under 5 minutes on two CPU cores. See docs/tutorial.md for a
// walk through every line.
// [docs:quickstart]
#include <pipeline/pipeline.hpp>

using namespace pipeline;

// clang-format off
constexpr auto experiment = Load<FashionMNIST, Subset<30000>, Split<0.1>>
                          | Model<ResNet18>
                          | Loss<CrossEntropy>
                          | Optimizer<SGD, {.lr = 0.05, .momentum = 0.9}>
                          | Schedule<Cosine>
                          | Train<{.epochs = 4, .batch_size = 128}>;
// clang-format on

int main(int argc, char** argv) {
    return run(experiment, argc, argv);
}
// [docs:end]
