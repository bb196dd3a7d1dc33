#include <pipeline/pipeline.hpp>

using namespace pipeline;

// clang-format off
constexpr auto experiment = Load<FashionMNIST>
                          | Model<ResNet18>
                          | Loss<CrossEntropy>
                          | Optimizer<SGD, {.lr = 0.1}>
                          | Train<{.epochs = 1}>;
// clang-format on

int main(int argc, char** argv) {
    return run(experiment, argc, argv);
}
