// EXPECT: BUILDS
// The mission's expression, verbatim (STYLE.md, issue 11): names with defaults are types
// (MixUp, Cosine), and Frozen<...> without Pretrained<...> loads the backbone's ImageNet
// weights, which the resolved pipeline writes out.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto experiment = Load<CIFAR10>
                          | Augment<MixUp>
                          | Model<ResNet18, Frozen<Stem, Layer1>>
                          | Loss<SmoothedCE<0.1>>
                          | Schedule<Cosine>;
// clang-format on
static_assert(validate(experiment));

int main() {}
