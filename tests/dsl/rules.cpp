// dsl/rules: every rule holds positively and negatively as a trait (the static_asserts
// that fire on a broken pipeline are tested in tests/compile_fail/).
#include <type_traits>

#include <doctest/doctest.h>

#include <pipeline/dsl.hpp>

using namespace pipeline;

namespace {
// clang-format off
constexpr auto full = Load<FashionMNIST>
                    | Model<ResNet18>
                    | Loss<CrossEntropy>
                    | Optimizer<SGD>
                    | Schedule<Cosine>
                    | Train<>;
// clang-format on
using Full = std::remove_cvref_t<decltype(full)>;
using NoLoss = Pipeline<LoadStage<FashionMNIST>, ModelStage<ResNet18>>;
using NoModel = Pipeline<LoadStage<FashionMNIST>, LossStage<CrossEntropy>>;
using NoLoad = Pipeline<ModelStage<ResNet18>, LossStage<CrossEntropy>>;
} // namespace

TEST_CASE("dsl/rules: completeness") {
    static_assert(rules::complete<Full>);
    static_assert(
        !rules::complete<NoLoss> && rules::has_load<NoLoss> && rules::has_model<NoLoss>);
    static_assert(!rules::complete<NoModel> && !rules::has_model<NoModel>);
    static_assert(!rules::complete<NoLoad> && !rules::has_load<NoLoad>);
    CHECK(validate(full));
}

TEST_CASE("dsl/rules: data-flow order and uniqueness") {
    using L = LoadStage<FashionMNIST>;
    using M = ModelStage<ResNet18>;
    using C = LossStage<CrossEntropy>;
    using T = TrainStage<TrainParams{}>;
    static_assert(rules::in_data_flow_order<L, M, C, T>);
    static_assert(!rules::in_data_flow_order<M, L, C>);
    static_assert(rules::out_of_order_kind<M, L, C> == int(stage_kind::load));
    static_assert(rules::out_of_order_kind<L, C, M> == int(stage_kind::model));
    static_assert(rules::out_of_order_kind<L, M, T, C> == int(stage_kind::loss));
    static_assert(rules::unique_kinds<L, M, C>);
    static_assert(!rules::unique_kinds<L, M, C, C>);
    static_assert(rules::count<stage_kind::loss, L, M, C, C> == 2);
    static_assert(rules::count<stage_kind::augment, L, M, C> == 0);
    CHECK(rules::in_data_flow_order<L, M, C, T>);
}

TEST_CASE("dsl/rules: argument categories") {
    static_assert(is_loss<CrossEntropy> && is_loss<SmoothedCE<0.1>> && !is_loss<ResNet18>);
    static_assert(
        is_backbone<ResNet18> && is_backbone<ResNet50> && !is_backbone<FashionMNIST>);
    static_assert(is_dataset<FashionMNIST> && !is_dataset<CrossEntropy>);
    static_assert(is_optimizer<SGD> && is_optimizer<AdamW> && !is_optimizer<Cosine>);
    static_assert(is_schedule<Cosine> && is_schedule<Constant> && !is_schedule<SGD>);
    static_assert(is_schedule<Step> && is_schedule<OneCycle> && is_augmentation<MixUp>);
    static_assert(is_load_option<Subset<10>> && is_load_option<Split<0.2>>);
    CHECK(is_block<Layer3>);
}

TEST_CASE("dsl/rules: defaults fill omitted stages") {
    // clang-format off
    constexpr auto minimal = Load<FashionMNIST>
                           | Model<ResNet18>
                           | Loss<CrossEntropy>;
    // clang-format on
    using R = resolved_t<std::remove_cvref_t<decltype(minimal)>>;
    static_assert(std::is_same_v<stage_t<stage_kind::optimizer, R>, default_optimizer>);
    static_assert(std::is_same_v<stage_t<stage_kind::schedule, R>, default_schedule>);
    static_assert(std::is_same_v<stage_t<stage_kind::train, R>, default_train>);
    static_assert(std::is_same_v<R, Full>);
    // An explicit stage wins over the default, and keeps its place in data-flow order.
    // clang-format off
    constexpr auto custom = Load<FashionMNIST>
                          | Model<ResNet18>
                          | Loss<CrossEntropy>
                          | Train<{.epochs = 2}>;
    // clang-format on
    using RC = resolved_t<std::remove_cvref_t<decltype(custom)>>;
    static_assert(stage_t<stage_kind::train, RC>::params.epochs == 2);
    static_assert(std::is_same_v<stage_t<stage_kind::optimizer, RC>, default_optimizer>);
    CHECK(std::is_same_v<stage_t<stage_kind::augment, R>, no_stage>);
}

TEST_CASE("dsl/rules: load options") {
    using L = LoadStage<FashionMNIST, Subset<500>, Split<0.25>>;
    static_assert(L::subset == 500 && L::split == 0.25);
    static_assert(LoadStage<FashionMNIST>::subset == 0
                  && LoadStage<FashionMNIST>::split == 0.0);
    CHECK(L::subset == 500);
}

TEST_CASE("dsl/rules: backbones know their blocks and the prefixes they own") {
    static_assert(ResNet18::has_block<Layer4> && ResNet50::has_block<Stem>);
    static_assert(!ResNet18::has_block<CrossEntropy>);
    static_assert(ResNet18::require_block<Head>());
    CHECK(ResNet18::parameter_prefixes("Stem")
          == std::vector<std::string_view>{"conv1.", "bn1."});
    CHECK(ResNet34::parameter_prefixes("Head") == std::vector<std::string_view>{"fc."});
    CHECK(ResNet50::parameter_prefixes("Layer5").empty());
}
