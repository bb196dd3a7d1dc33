// EXPECT: pipeline: CifarStem applies to ResNets only
#include <pipeline/dsl.hpp>
using namespace pipeline;
// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<MobileNetV2, CifarStem>
                 | Loss<CrossEntropy>;
// clang-format on
int main() {}
