// EXPECT: pipeline: Schedule<S> takes a schedule
// Rule: a stage argument must be of the stage's kind; the kind check comes before the
// optional second argument is looked at (ResNet18 has no hyperparameters to tune).
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>
                 | Schedule<ResNet18>;
// clang-format on
