// EXPECT: pipeline: the block named is not a block of this backbone
// Rule: Unfreeze<...> names only blocks the backbone has.
#include <pipeline/dsl.hpp>

using namespace pipeline;

struct Layer5 : block_tag, named<"Layer5"> {};
// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18,
                         Frozen<Stem>,
                         Unfreeze<Layer5, AtEpoch<2>>,
                         FreezeRandomInit>
                 | Loss<CrossEntropy>;
// clang-format on
