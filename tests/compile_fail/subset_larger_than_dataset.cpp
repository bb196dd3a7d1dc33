// EXPECT: pipeline: Load<D, Subset<N>> keeps more training examples than the dataset has
// Rule: CIFAR10 has 50,000 training examples; Subset<50001> would print 50001 and train on
// 50,000.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<CIFAR10, Subset<50001>>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>;
// clang-format on
