// dsl/size_rules: the sizes fixed at compile time agree (Subset within the dataset, a
// hold-out of at least one example, a training split of at least one batch), positively at
// the boundary and negatively just past it.
#include <type_traits>

#include <doctest/doctest.h>

#include <pipeline/dsl.hpp>

using namespace pipeline;

namespace {
template <auto p>
using T = std::remove_cvref_t<decltype(p)>;

// clang-format off
constexpr auto tail = Model<ResNet18>
                    | Loss<CrossEntropy>;
// clang-format on
} // namespace

TEST_CASE("dsl/size_rules: the built-in datasets know their sizes") {
    static_assert(FashionMNIST::train_size == 60000 && FashionMNIST::test_size == 10000);
    static_assert(CIFAR10::train_size == 50000 && CIFAR10::test_size == 10000);
    static_assert(ImageFolder<"photos", {.classes = 2}>::train_size == 0);
    CHECK(CIFAR10::train_size == 50000);
}

TEST_CASE("dsl/size_rules: Subset<N> keeps at most the training set") {
    using namespace rules;
    // The largest valid subsets: the whole training set.
    static_assert(subset_within_dataset<CIFAR10, Subset<50000>>);
    static_assert(!subset_within_dataset<CIFAR10, Subset<50001>>);
    static_assert(subset_within_dataset<FashionMNIST, Subset<60000>, Split<0.1>>);
    static_assert(!subset_within_dataset<FashionMNIST, Split<0.1>, Subset<60001>>);
    // Unknown until read: checked at run time (check_split_sizes).
    static_assert(
        subset_within_dataset<ImageFolder<"photos", {.classes = 2}>, Subset<1000000>>);
    // clang-format off
    CHECK(validate(Load<CIFAR10, Subset<50000>>
                   | tail));
    // clang-format on
}

TEST_CASE("dsl/size_rules: the split rounds as data/splits.hpp does") {
    static_assert(detail::round_half_up(0.5) == 1 && detail::round_half_up(2.5) == 3);
    static_assert(detail::round_half_up(0.49999) == 0 && detail::round_half_up(0.0) == 0);
    constexpr auto c = detail::count_splits(60000, 30000, 0.1);
    static_assert(c.kept == 30000 && c.held_out == 3000 && c.train == 27000);
    constexpr auto all = detail::count_splits(500, 0, 0.0);
    static_assert(all.kept == 500 && all.held_out == 0 && all.train == 500);
    // A subset larger than the data keeps all of it, as make_splits does.
    static_assert(detail::count_splits(500, 900, 0.5).kept == 500);
    CHECK(detail::count_splits(1000, 0, 0.0005).held_out == 1);
}

TEST_CASE("dsl/size_rules: Split<f> holds out at least one example") {
    using namespace rules;
    // 0.0005 x 1000 = 0.5 rounds to 1 (the smallest valid fraction here); 0.0004 to 0.
    // clang-format off
    static_assert(split_holds_out<T<Load<FashionMNIST, Subset<1000>, Split<0.0005>>
                                    | tail>>);
    static_assert(!split_holds_out<T<Load<FashionMNIST, Subset<1000>, Split<0.0004>>
                                     | tail>>);
    static_assert(split_holds_out<T<Load<CIFAR10, Split<0.00001>>
                                    | tail>>);
    static_assert(split_holds_out<T<Load<CIFAR10>
                                    | tail>>);
    // Known only once read: checked at run time (check_split_sizes).
    CHECK(split_holds_out<T<Load<ImageFolder<"photos", {.classes = 2}>, Split<0.0001>>
                            | tail>>);
    // clang-format on
}

TEST_CASE("dsl/size_rules: the training split fills one batch") {
    using namespace rules;
    // 1000 less 100 held out = 900: a batch of 900 fits, 901 does not.
    // clang-format off
    static_assert(training_split_fills_a_batch<T<Load<FashionMNIST, Subset<1000>, Split<0.1>>
                                                 | tail
                                                 | Train<{.batch_size = 900}>>>);
    static_assert(!training_split_fills_a_batch<T<Load<FashionMNIST, Subset<1000>, Split<0.1>>
                                                  | tail
                                                  | Train<{.batch_size = 901}>>>);
    // The default Train<> batch is 128.
    static_assert(training_split_fills_a_batch<T<Load<FashionMNIST, Subset<128>>
                                                 | tail>>);
    static_assert(!training_split_fills_a_batch<T<Load<FashionMNIST, Subset<127>>
                                                  | tail>>);
    // The whole set: 50,000 less 5,000.
    static_assert(training_split_fills_a_batch<T<Load<CIFAR10, Split<0.1>>
                                                 | tail
                                                 | Train<{.batch_size = 45000}>>>);
    CHECK(!training_split_fills_a_batch<T<Load<CIFAR10, Split<0.1>>
                                          | tail
                                          | Train<{.batch_size = 45001}>>>);
    // clang-format on
}

TEST_CASE("dsl/size_rules: reflect padding and mixing partners") {
    using namespace rules;
    // clang-format off
    static_assert(reflect_pad_fits<T<Load<FashionMNIST>
                                     | Augment<RandomCrop<28, 27>>
                                     | tail>>);
    static_assert(!reflect_pad_fits<T<Load<FashionMNIST>
                                      | Augment<RandomCrop<28, 28>>
                                      | tail>>);
    static_assert(reflect_pad_fits<T<Load<FashionMNIST>
                                     | Augment<RandomCrop<28, 28, Padding::zero>>
                                     | tail>>);
    // The pad is measured against the image the crop receives (after a Resize).
    static_assert(reflect_pad_fits<T<Load<FashionMNIST>
                                     | Augment<Resize<64>>
                                     | Augment<RandomCrop<64, 32>>
                                     | tail>>);
    static_assert(mixing_has_partner<T<Load<CIFAR10>
                                       | Augment<MixUp>
                                       | Model<ResNet18>
                                       | Loss<SoftTargetCE>
                                       | Train<{.batch_size = 2}>>>);
    static_assert(!mixing_has_partner<T<Load<CIFAR10>
                                        | Augment<CutMix>
                                        | Model<ResNet18>
                                        | Loss<SoftTargetCE>
                                        | Train<{.batch_size = 1}>>>);
    static_assert(mixing_has_partner<T<Load<CIFAR10>
                                       | tail
                                       | Train<{.batch_size = 1}>>>);
    // clang-format on
    CHECK(true);
}
