// EXPECT: pipeline: an Unfreeze<Block, AtEpoch<N>> comes after the last epoch
// Rule: an unfreeze epoch lies within Train<{.epochs}>.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18,
                         Frozen<Stem, Layer1>,
                         Unfreeze<Layer1, AtEpoch<5>>,
                         FreezeRandomInit>
                 | Loss<CrossEntropy>
                 | Train<{.epochs = 4}>;
// clang-format on
static_assert(validate(p));
