// EXPECT: BUILDS
// Sanity: the rules accept a valid pipeline, so the failures above are the rules' doing.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto experiment = Load<FashionMNIST, Subset<100>, Split<0.1>>
                          | Model<ResNet18>
                          | Loss<SmoothedCE<0.1>>
                          | Optimizer<SGD, {.lr = 0.1}>
                          | Schedule<Cosine, {.warmup_epochs = 1}>
                          | Train<{.epochs = 2, .batch_size = 64}>;
// clang-format on
static_assert(validate(experiment));

int main() {}
