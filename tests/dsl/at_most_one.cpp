// dsl/at_most_one: the helper behind every "at most one X" rule, and each rule built on
// it, positively and negatively (the static_asserts are tested in tests/compile_fail/).
#include <type_traits>

#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>
#include <doctest/doctest.h>

#include <pipeline/dsl.hpp>

using namespace pipeline;

namespace {
constexpr auto is_loss_stage = []<class S>(hana::basic_type<S>) {
    return hana::bool_c<S::kind == stage_kind::loss>;
};
} // namespace

TEST_CASE("dsl/at_most_one: counts the types a Hana predicate accepts") {
    using L = LoadStage<FashionMNIST>;
    using C = LossStage<CrossEntropy>;
    static_assert(rules::at_most_one(hana::tuple_t<>, is_loss_stage));
    static_assert(rules::at_most_one(hana::tuple_t<L, C>, is_loss_stage));
    static_assert(!rules::at_most_one(hana::tuple_t<L, C, C>, is_loss_stage));
    // A compile-time answer, usable as a Hana Logical.
    static_assert(decltype(rules::at_most_one(hana::tuple_t<C, C>, is_loss_stage))::value
                  == false);
    CHECK(rules::at_most_one(hana::tuple_t<L, C>, is_loss_stage));
}

TEST_CASE("dsl/at_most_one: stage kinds and load options") {
    using L = LoadStage<FashionMNIST>;
    using A = AugmentStage<HorizontalFlip>;
    using M = ModelStage<ResNet18>;
    static_assert(rules::unique_kind<stage_kind::load, L, A, A, M>);
    static_assert(!rules::unique_kind<stage_kind::load, L, L, M>);
    static_assert(rules::unique_kinds<L, A, A, M> && !rules::unique_kinds<L, M, M>);
    static_assert(rules::one_subset<Subset<10>, Split<0.1>>);
    static_assert(!rules::one_subset<Subset<10>, Subset<20>>);
    static_assert(rules::one_split<> && !rules::one_split<Split<0.1>, Split<0.2>>);
    CHECK(rules::one_subset<>);
}

TEST_CASE("dsl/at_most_one: model options") {
    static_assert(rules::one_pretrained<Pretrained<ImageNet>, NonStrict>);
    static_assert(!rules::one_pretrained<Pretrained<ImageNet>, Pretrained<File<"w.pth">>>);
    static_assert(rules::one_head_dropout<HeadDropout<0.2>, CifarStem>);
    static_assert(!rules::one_head_dropout<HeadDropout<0.2>, HeadDropout<0.3>>);
    static_assert(rules::one_layer_decay<LayerDecay<0.7>, Ema<0.999>>);
    static_assert(!rules::one_layer_decay<LayerDecay<0.7>, LayerDecay<0.8>>);
    static_assert(rules::one_batch_norm<BatchNorm<TrainMode>, LayerDecay<0.7>>);
    static_assert(!rules::one_batch_norm<BatchNorm<TrainMode>, BatchNorm<EvalMode>>);
    static_assert(rules::one_ema<Ema<0.999>> && !rules::one_ema<Ema<0.999>, Ema<0.99>>);
    CHECK(rules::one_ema<>);
}

TEST_CASE("dsl/at_most_one: augmentations") {
    // clang-format off
    constexpr auto two = Load<CIFAR10>
                       | Augment<Normalize<>>
                       | Augment<Normalize<>>
                       | Augment<MixUp, {.alpha = 0.2}>
                       | Augment<CutMix>
                       | Model<ResNet18>
                       | Loss<SoftTargetCE>;
    constexpr auto one = Load<CIFAR10>
                       | Augment<Normalize<>>
                       | Augment<MixUp, {.alpha = 0.2}>
                       | Model<ResNet18>
                       | Loss<SoftTargetCE>;
    // clang-format on
    using Two = std::remove_cvref_t<decltype(two)>;
    using One = std::remove_cvref_t<decltype(one)>;
    static_assert(!rules::one_mixing<Two> && !rules::one_normalize<Two>);
    static_assert(rules::one_mixing<One> && rules::one_normalize<One>);
    CHECK(rules::augmentation_valid<One>);
}
