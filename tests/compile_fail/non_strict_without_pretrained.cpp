// EXPECT: pipeline: NonStrict only makes sense with Pretrained
#include <pipeline/dsl.hpp>
using namespace pipeline;
constexpr auto p = Load<FashionMNIST> | Model<ResNet18, NonStrict> | Loss<CrossEntropy>;
int main() {}
