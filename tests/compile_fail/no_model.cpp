// EXPECT: pipeline: no Model<\.\.\.> stage
// Rule: a pipeline must train a model.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
static_assert(validate(Load<FashionMNIST>
                     | Loss<CrossEntropy>));
// clang-format on
