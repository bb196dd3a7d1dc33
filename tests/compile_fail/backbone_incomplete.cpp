// EXPECT: pipeline: this backbone tag is not a complete backbone descriptor
// A user's backbone tag that names no blocks (and nothing else a descriptor declares).
#include <pipeline/dsl.hpp>

using namespace pipeline;

struct MyNet : backbone_tag, named<"MyNet"> {};

// clang-format off
constexpr auto experiment = Load<FashionMNIST>
                          | Model<MyNet>
                          | Loss<CrossEntropy>;
// clang-format on
