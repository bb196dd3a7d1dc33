// EXPECT: pipeline: Load<D, \.\.\., Split<f>> holds out no example
// Rule: 0.0004 x 1000 rounds to 0; the run would hold out one example anyway, a fraction
// other than the one printed.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
static_assert(validate(Load<FashionMNIST, Subset<1000>, Split<0.0004>>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>));
// clang-format on
