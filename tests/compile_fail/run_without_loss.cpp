// EXPECT: pipeline: no Loss<\.\.\.> stage
// Rule through the torch layer: run() validates before it expands the loop, so the rule's
// message is the first error even with the whole library included.
#include <pipeline/pipeline.hpp>

using namespace pipeline;

// clang-format off
constexpr auto experiment = Load<FashionMNIST>
                          | Model<ResNet18>
                          | Train<{.epochs = 1}>;
// clang-format on

int main(int argc, char** argv) {
    return run(experiment, argc, argv);
}
