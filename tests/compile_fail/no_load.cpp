// EXPECT: pipeline: no Load<\.\.\.> stage
// Rule: a pipeline must read a dataset.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
static_assert(validate(Model<ResNet18>
                     | Loss<CrossEntropy>));
// clang-format on
