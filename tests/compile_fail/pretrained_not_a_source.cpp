// EXPECT: pipeline: Pretrained<S> takes a weights source
#include <pipeline/dsl.hpp>
using namespace pipeline;
// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18, Pretrained<FashionMNIST>>
                 | Loss<CrossEntropy>;
// clang-format on
int main() {}
