// dsl/transfer: the per-block plan that Frozen, Unfreeze, LrScale and LayerDecay amount
// to, and each transfer rule as a trait, positively and negatively.
#include <type_traits>

#include <doctest/doctest.h>

#include <pipeline/dsl.hpp>

using namespace pipeline;

namespace {
struct FakePretrained : model_option_tag, named<"FakePretrained"> {};
} // namespace

namespace pipeline {
template <>
inline constexpr bool is_pretrained_option<FakePretrained> = true;
} // namespace pipeline

TEST_CASE("dsl/transfer: the plan of a staged fine-tuning") {
    using P =
        transfer_plan<ResNet18, Frozen<Stem, Layer1, Layer2>, Unfreeze<Layer2, AtEpoch<3>>,
                      LrScale<Head, 10.0>, LayerDecay<0.5>, FreezeRandomInit>;
    static_assert(P::blocks == 6);
    static_assert(P::trainable_from == std::array{P::never, P::never, 3, 1, 1, 1});
    static_assert(P::lr_factor == std::array{0.03125, 0.0625, 0.125, 0.25, 0.5, 10.0});
    static_assert(P::frozen_at(2, 2) && !P::frozen_at(2, 3) && !P::frozen_at(3, 1));
    static_assert(P::last_unfreeze == 3 && P::any_frozen && !P::all_frozen);
    static_assert(!P::bn_train_when_frozen && P::ema_decay == 0.0);
    using Q = transfer_plan<ResNet50>;
    static_assert(Q::trainable_from == std::array{1, 1, 1, 1, 1, 1});
    static_assert(Q::lr_factor == std::array{1.0, 1.0, 1.0, 1.0, 1.0, 1.0});
    static_assert(!Q::any_frozen && Q::last_unfreeze == 0);
    static_assert(transfer_plan<ResNet18, BatchNorm<TrainMode>>::bn_train_when_frozen);
    static_assert(transfer_plan<ResNet18, BatchNorm<EvalMode>>::bn_train_when_frozen
                  == false);
    CHECK(P::lr_factor[5] == 10.0);
}

TEST_CASE("dsl/transfer: rules hold and break as documented") {
    using namespace rules;
    static_assert(frozen_blocks_unique<ResNet18, Frozen<Stem>, Frozen<Layer1>>);
    static_assert(!frozen_blocks_unique<ResNet18, Frozen<Stem>, Frozen<Stem>>);
    static_assert(unfreeze_only_frozen<ResNet18, Frozen<Stem>, Unfreeze<Stem, AtEpoch<2>>>);
    static_assert(
        !unfreeze_only_frozen<ResNet18, Frozen<Stem>, Unfreeze<Head, AtEpoch<2>>>);
    static_assert(unfreeze_once<ResNet18, Frozen<Stem>, Unfreeze<Stem, AtEpoch<2>>>);
    static_assert(!unfreeze_once<ResNet18, Frozen<Stem>, Unfreeze<Stem, AtEpoch<2>>,
                                 Unfreeze<Stem, AtEpoch<3>>>);
    static_assert(lr_scale_once<ResNet18, LrScale<Stem, 0.1>, LrScale<Head, 10.0>>);
    static_assert(!lr_scale_once<ResNet18, LrScale<Head, 0.1>, LrScale<Head, 10.0>>);
    static_assert(something_trains<ResNet18, Frozen<Stem, Layer1, Layer2, Layer3, Layer4>>);
    static_assert(
        !something_trains<ResNet18, Frozen<Stem, Layer1, Layer2, Layer3, Layer4, Head>>);
    static_assert(model_options_hold<ResNet18, FakePretrained, Frozen<Stem>>());

    // clang-format off
    constexpr auto ok = Load<FashionMNIST>
                      | Model<ResNet18,
                              Frozen<Stem>,
                              FreezeRandomInit,
                              Unfreeze<Stem, AtEpoch<4>>>
                      | Loss<CrossEntropy>
                      | Train<{.epochs = 4}>;
    // clang-format on
    static_assert(unfreeze_within_run<std::remove_cvref_t<decltype(ok)>>);
    using Late = Pipeline<
        LoadStage<FashionMNIST>,
        ModelStage<ResNet18, Frozen<Stem>, FreezeRandomInit, Unfreeze<Stem, AtEpoch<11>>>,
        LossStage<CrossEntropy>>; // default Train<>: 10 epochs
    static_assert(!unfreeze_within_run<Late>);
    CHECK(validate(ok));
}

TEST_CASE("dsl/transfer: frozen blocks hold weights something loads") {
    using namespace rules;
    // A frozen head is never loaded: an error with weights (written or implied) ...
    static_assert(!frozen_head_loaded<Pretrained<ImageNet>, Frozen<Layer4, Head>>);
    static_assert(!frozen_head_loaded<Frozen<Stem, Head>>);
    static_assert(!frozen_head_loaded<FakePretrained, Frozen<Head>>);
    // ... unless FreezeRandomInit says a fixed random head is meant.
    static_assert(frozen_head_loaded<Pretrained<ImageNet>, Frozen<Head>, FreezeRandomInit>);
    static_assert(frozen_head_loaded<Frozen<Stem, Head>, FreezeRandomInit>);
    static_assert(frozen_head_loaded<Pretrained<ImageNet>, Frozen<Stem, Layer4>>);
    // The stem under CifarStem likewise; without CifarStem the stem loads.
    static_assert(!frozen_stem_loaded<CifarStem, Pretrained<ImageNet>, Frozen<Stem>>);
    static_assert(!frozen_stem_loaded<CifarStem, Frozen<Stem>>);
    static_assert(frozen_stem_loaded<CifarStem, Frozen<Stem>, FreezeRandomInit>);
    static_assert(frozen_stem_loaded<Pretrained<ImageNet>, Frozen<Stem>>);
    static_assert(frozen_stem_loaded<CifarStem, Pretrained<ImageNet>, Frozen<Layer1>>);
    // FreezeRandomInit needs a frozen block that is random.
    static_assert(freeze_random_init_has_effect<ResNet18, Frozen<Stem>, FreezeRandomInit>);
    static_assert(!freeze_random_init_has_effect<ResNet18, FreezeRandomInit>);
    static_assert(!freeze_random_init_has_effect<ResNet18, Pretrained<ImageNet>,
                                                 Frozen<Stem>, FreezeRandomInit>);
    static_assert(freeze_random_init_has_effect<ResNet18, Pretrained<ImageNet>, CifarStem,
                                                Frozen<Stem>, FreezeRandomInit>);
    static_assert(freeze_random_init_has_effect<ResNet18>);
    CHECK(model_options_hold<ResNet18, Pretrained<ImageNet>, Frozen<Head>,
                             FreezeRandomInit>());
}

TEST_CASE("dsl/transfer: options that would have no effect") {
    using namespace rules;
    // LrScale on a block frozen for the whole run does nothing; on one unfrozen later, or
    // one never frozen, it scales its rate.
    static_assert(
        !lr_scale_on_trained_block<ResNet18, Frozen<Stem, Layer1>, LrScale<Layer1, 0.1>>);
    static_assert(
        lr_scale_on_trained_block<ResNet18, Frozen<Stem, Layer1>,
                                  Unfreeze<Layer1, AtEpoch<10>>, LrScale<Layer1, 0.1>>);
    static_assert(lr_scale_on_trained_block<ResNet18, Frozen<Stem>, LrScale<Layer1, 0.1>>);
    // BatchNorm<TrainMode> acts on frozen blocks only; EvalMode is the default written out.
    static_assert(!batch_norm_mode_has_effect<ResNet18, BatchNorm<TrainMode>>);
    static_assert(batch_norm_mode_has_effect<ResNet18, Frozen<Stem>, BatchNorm<TrainMode>>);
    static_assert(batch_norm_mode_has_effect<ResNet18, BatchNorm<EvalMode>>);
    // LayerDecay with a block frozen for the whole run is fine (the others keep their
    // factors); with every block below the head frozen throughout, it changes nothing.
    static_assert(layer_decay_has_effect<ResNet18, Frozen<Stem, Layer1>, LayerDecay<0.8>>);
    static_assert(
        layer_decay_has_effect<ResNet18, Frozen<Stem, Layer1, Layer2, Layer3, Layer4>,
                               Unfreeze<Layer4, AtEpoch<3>>, LayerDecay<0.8>>);
    static_assert(
        !layer_decay_has_effect<ResNet18, Frozen<Stem, Layer1, Layer2, Layer3, Layer4>,
                                LayerDecay<0.8>>);
    static_assert(
        layer_decay_has_effect<ResNet18, Frozen<Stem, Layer1, Layer2, Layer3, Layer4>>);
    CHECK(layer_decay_has_effect<ResNet18>);
}

TEST_CASE("dsl/transfer: options print as written") {
    // clang-format off
    constexpr auto p = Load<FashionMNIST>
                     | Model<ResNet18,
                             Frozen<Stem, Layer1>,
                             Unfreeze<Layer1, AtEpoch<3>>,
                             LrScale<Head, 10.0>,
                             LayerDecay<0.75>,
                             BatchNorm<TrainMode>,
                             FreezeRandomInit>
                     | Loss<CrossEntropy>;
    // clang-format on
    CHECK(describe(p).find("Model<ResNet18, Frozen<Stem, Layer1>, Unfreeze<Layer1, "
                           "AtEpoch<3>>, LrScale<Head, 10>, LayerDecay<0.75>, "
                           "BatchNorm<TrainMode>, FreezeRandomInit>")
          != std::string::npos);
}
