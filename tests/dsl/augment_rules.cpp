// dsl/augment_rules: the augmentation rules hold positively and negatively as traits (the
// static_asserts are tested in tests/compile_fail/), and augmentations print as written.
#include <type_traits>

#include <boost/hana/equal.hpp>
#include <doctest/doctest.h>

#include <pipeline/dsl.hpp>

using namespace pipeline;

namespace {
template <auto p>
using T = std::remove_cvref_t<decltype(p)>;

constexpr auto cifar = Load<CIFAR10>;
// clang-format off
constexpr auto tail = Model<ResNet18>
                    | Loss<SoftTargetCE>;

constexpr auto classic = cifar
                       | Augment<RandomCrop<32, 4>>
                       | Augment<HorizontalFlip>
                       | Augment<Cutout<8>>
                       | Model<ResNet18>
                       | Loss<CrossEntropy>;
constexpr auto mixed = cifar
                     | Augment<Normalize<>>
                     | Augment<RandomCrop<32, 4>>
                     | Augment<MixUp, {.alpha = 0.2}>
                     | tail;
// clang-format on
} // namespace

TEST_CASE("dsl/augment_rules: well-formed augmentation pipelines pass every rule") {
    static_assert(rules::augmentation_valid<T<classic>>);
    static_assert(rules::augmentation_valid<T<mixed>>);
    static_assert(augmentations_t<T<classic>>{}
                  == hana::tuple_t<RandomCrop<32, 4>, HorizontalFlip, Cutout<8>>);
    // clang-format off
    static_assert(rules::augmentation_valid<T<cifar
                                            | Augment<Resize<64>>
                                            | Augment<RandomCrop<56, 0>>
                                            | Augment<MixUpCutMix, {.smoothing = 0.1}>
                                            | tail>>);
    // clang-format on
    CHECK(validate(classic));
    CHECK(validate(mixed));
}

TEST_CASE("dsl/augment_rules: mixing needs a soft-target loss, smoothing happens once") {
    // clang-format off
    static_assert(!rules::soft_targets_accepted<T<cifar
                                                | Augment<MixUp, {.alpha = 0.2}>
                                                | Model<ResNet18>
                                                | Loss<CrossEntropy>>>);
    static_assert(rules::soft_targets_accepted<T<cifar
                                               | Augment<CutMix>
                                               | Model<ResNet18>
                                               | Loss<SmoothedCE<0.1>>>>);
    static_assert(rules::soft_targets_accepted<T<cifar
                                               | Augment<HorizontalFlip>
                                               | Model<ResNet18>
                                               | Loss<CrossEntropy>>>);
    static_assert(!rules::smoothing_once<T<cifar
                                         | Augment<MixUp, {.alpha = 0.2, .smoothing = 0.1}>
                                         | Model<ResNet18>
                                         | Loss<SmoothedCE<0.1>>>>);
    static_assert(rules::smoothing_once<T<cifar
                                        | Augment<MixUp, {.alpha = 0.2, .smoothing = 0.1}>
                                        | tail>>);
    static_assert(rules::smoothing_once<T<cifar
                                        | Augment<MixUp, {.alpha = 0.2}>
                                        | Model<ResNet18>
                                        | Loss<SmoothedCE<0.1>>>>);
    static_assert(!rules::smoothing_once<T<cifar
                                         | Augment<MixUpCutMix, {.smoothing = 0.1}>
                                         | Model<ResNet18>
                                         | Loss<SmoothedCE<0.05>>>>);
    // clang-format on
}

TEST_CASE("dsl/augment_rules: order, uniqueness and sizes") {
    // clang-format off
    static_assert(!rules::one_mixing<T<cifar
                                     | Augment<MixUp, {.alpha = 0.2}>
                                     | Augment<CutMix>
                                     | tail>>);
    static_assert(!rules::mixing_last<T<cifar
                                      | Augment<MixUp, {.alpha = 0.2}>
                                      | Augment<HorizontalFlip>
                                      | tail>>);
    static_assert(!rules::normalize_first<T<cifar
                                          | Augment<HorizontalFlip>
                                          | Augment<Normalize<>>
                                          | tail>>);
    static_assert(!rules::one_normalize<T<cifar
                                        | Augment<Normalize<>>
                                        | Augment<Normalize<>>
                                        | tail>>);
    static_assert(rules::normalize_channels<T<cifar
                                            | Augment<Normalize<{0.5, 0.5, 0.5}, {0.5, 0.5, 0.5}>>
                                            | tail>>);
    static_assert(!rules::normalize_channels<T<Load<FashionMNIST>
                                             | Augment<Normalize<{0.5, 0.5, 0.5}, {0.5, 0.5, 0.5}>>
                                             | tail>>);
    static_assert(!rules::crop_fits<T<cifar
                                    | Augment<RandomCrop<33, 4>>
                                    | tail>>);
    static_assert(!rules::crop_fits<T<Load<FashionMNIST>
                                    | Augment<RandomCrop<32, 4>>
                                    | tail>>);
    static_assert(rules::crop_fits<T<cifar
                                   | Augment<Resize<64>>
                                   | Augment<RandomCrop<48>>
                                   | tail>>);
    static_assert(!rules::crop_fits<T<cifar
                                    | Augment<RandomCrop<24>>
                                    | Augment<RandomCrop<28>>
                                    | tail>>);
    static_assert(!rules::cutout_fits<T<cifar
                                      | Augment<Cutout<40>>
                                      | tail>>);
    static_assert(rules::cutout_fits<T<cifar
                                     | Augment<Resize<64>>
                                     | Augment<Cutout<40>>
                                     | tail>>);
    // clang-format on
}

TEST_CASE("dsl/augment_rules: augmentations print as written") {
    CHECK(describe_as_written(classic)
          == "Load<CIFAR10> | Augment<RandomCrop<32, 4>> | Augment<HorizontalFlip> | "
             "Augment<Cutout<8>> | Model<ResNet18> | Loss<CrossEntropy>");
    CHECK(name_of<RandomCrop<32, 4, Padding::zero>>()
          == "RandomCrop<32, 4, Padding::zero>");
    CHECK(name_of<MixUp>() == "MixUp");
    CHECK(name_of<MixUp::with<{.alpha = 0.2}>>() == "MixUp, {.alpha = 0.2}");
    CHECK(name_of<CutMix::with<{.alpha = 1.0, .smoothing = 0.1}>>()
          == "CutMix, {.smoothing = 0.1}");
    CHECK(name_of<MixUpCutMix>() == "MixUpCutMix");
    CHECK(name_of<MixUpCutMix::with<{.switch_prob = 0.3}>>()
          == "MixUpCutMix, {.switch_prob = 0.3}");
    CHECK(name_of<Normalize<>>() == "Normalize<>");
    CHECK(name_of<Normalize<{0.5, 0.25, 0.5}, {0.5, 0.5, 0.5}>>()
          == "Normalize<{0.5, 0.25, 0.5}, {0.5, 0.5, 0.5}>");
    CHECK(name_of<Resize<224>>() == "Resize<224>");
}
