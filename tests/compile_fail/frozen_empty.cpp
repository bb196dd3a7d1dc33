// EXPECT: pipeline: Frozen<\.\.\.> needs at least one block
// Rule: Frozen<> freezes nothing.
#include <pipeline/dsl.hpp>

using namespace pipeline;

constexpr auto p = Load<FashionMNIST> | Model<ResNet18, Frozen<>> | Loss<CrossEntropy>;
