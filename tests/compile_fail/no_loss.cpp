// EXPECT: pipeline: no Loss<\.\.\.> stage
// Rule: the loss has no default; it must be written down.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
static_assert(validate(Load<FashionMNIST>
                     | Model<ResNet18>
                     | Train<>));
// clang-format on
