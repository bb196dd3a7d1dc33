// EXPECT: pipeline: Model<B, \.\.\.> takes at most one Pretrained<\.\.\.>
// Rule: one source of starting weights.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                   | Model<ResNet18, Pretrained<ImageNet>, Pretrained<File<"mine.safetensors">>>
                   | Loss<CrossEntropy>;
// clang-format on
