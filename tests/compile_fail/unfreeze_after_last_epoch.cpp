// EXPECT: pipeline: an Unfreeze<Block, AtEpoch<N>> comes after the last epoch
// Rule: an unfreeze epoch lies within Train<{.epochs}>.
#include <pipeline/dsl.hpp>

using namespace pipeline;

constexpr auto p =
    Load<
        FashionMNIST> | Model<ResNet18, Frozen<Stem, Layer1>, Unfreeze<Layer1, AtEpoch<5>>, FreezeRandomInit> | Loss<CrossEntropy> | Train<{.epochs = 4}>;
static_assert(validate(p));
