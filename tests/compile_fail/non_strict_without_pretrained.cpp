// EXPECT: pipeline: NonStrict only makes sense with Pretrained
#include <pipeline/dsl.hpp>
using namespace pipeline;
// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18, NonStrict>
                 | Loss<CrossEntropy>;
// clang-format on
int main() {}
