// EXPECT: pipeline: Normalize<mean, std> needs one value per channel of the dataset
// Rule: RGB statistics on grey images (or the reverse) cannot be applied.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
static_assert(validate(Load<FashionMNIST>
                     | Augment<Normalize<{0.485, 0.456, 0.406}, {0.229, 0.224, 0.225}>>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>));
// clang-format on
