// EXPECT: pipeline: Precision<P> takes a number format: BF16, FP16
// Rule: Precision<...> names a number format, not a dtype or another stage's argument.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>
                 | Precision<SGD>;
// clang-format on
