// EXPECT: pipeline: Frozen<Head> with Pretrained<\.\.\.> \(written, or implied
// Rule: the head is replaced for the dataset's classes and never loaded, so a frozen head
// would stay random for the whole run.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<CIFAR10>
                 | Model<ResNet18, Pretrained<ImageNet>, Frozen<Layer4, Head>>
                 | Loss<CrossEntropy>;
// clang-format on
