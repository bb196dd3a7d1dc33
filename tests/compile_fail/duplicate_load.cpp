// EXPECT: pipeline: two Load stages
// Rule: Load is unique (a pipeline reads one dataset).
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                   | Load<CIFAR10>;
// clang-format on
