// EXPECT: pipeline: CifarStem applies to ResNets only
#include <pipeline/dsl.hpp>
using namespace pipeline;
constexpr auto p = Load<FashionMNIST> | Model<MobileNetV2, CifarStem> | Loss<CrossEntropy>;
int main() {}
