// EXPECT: pipeline: the training split of Load<\.\.\.>
// Rule: 1000 examples less 100 held out leave 900, one short of a batch of 901; an epoch
// drops its last incomplete batch, so nothing would train.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
static_assert(validate(Load<FashionMNIST, Subset<1000>, Split<0.1>>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>
                     | Train<{.batch_size = 901}>));
// clang-format on
