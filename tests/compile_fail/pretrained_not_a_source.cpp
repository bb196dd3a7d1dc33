// EXPECT: pipeline: Pretrained<S> takes a weights source
#include <pipeline/dsl.hpp>
using namespace pipeline;
constexpr auto p =
    Load<FashionMNIST> | Model<ResNet18, Pretrained<FashionMNIST>> | Loss<CrossEntropy>;
int main() {}
