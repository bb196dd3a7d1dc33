// EXPECT: pipeline: the block named is not a block of this backbone
// Rule: LrScale<...> names only blocks the backbone has.
#include <pipeline/dsl.hpp>

using namespace pipeline;

struct Classifier : block_tag, named<"Classifier"> {};
// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18, LrScale<Classifier, 10.0>>
                 | Loss<CrossEntropy>;
// clang-format on
