// EXPECT: pipeline: TTA<\.\.\.> takes the views HorizontalFlip and Shift<pixels>
// Rule: test-time augmentation averages deterministic views only.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>
                 | Evaluate<TTA<RandomCrop<28, 2>>>;
// clang-format on
