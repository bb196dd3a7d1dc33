// EXPECT: BUILDS
// Frozen<...> without Pretrained<...> is no longer an error: it implies
// Pretrained<ImageNet> (a frozen block must hold weights something loads), which the
// resolved pipeline, its printed form and the model settings the loader reads all show.
// FreezeRandomInit keeps the random initialisation instead.
#include <type_traits>

#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<FashionMNIST>
                 | Model<ResNet18, Frozen<Stem, Layer1>>
                 | Loss<CrossEntropy>;
// clang-format on
static_assert(validate(p));
using M = experiment_types<std::remove_cvref_t<decltype(p)>>::model;
static_assert(
    std::is_same_v<M, ModelStage<ResNet18, Pretrained<ImageNet>, Frozen<Stem, Layer1>>>);
static_assert(M::settings::pretrained && std::is_same_v<M::settings::source, ImageNet>);
using Random = decltype(Model<ResNet18, Frozen<Stem, Layer1>, FreezeRandomInit>)::settings;
static_assert(!Random::pretrained && std::is_void_v<Random::source>);

int main() {}
