// EXPECT: pipeline: MixUp/CutMix produce soft targets
// Rule through the torch layer: run() stops at the rule before it expands the loop.
#include <pipeline/pipeline.hpp>

using namespace pipeline;

// clang-format off
constexpr auto experiment = Load<CIFAR10>
                          | Augment<HorizontalFlip>
                          | Augment<CutMix>
                          | Model<ResNet18>
                          | Loss<CrossEntropy>;
// clang-format on

int main(int argc, char** argv) {
    return run(experiment, argc, argv);
}
