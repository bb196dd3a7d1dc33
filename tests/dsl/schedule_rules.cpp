// dsl/schedule_rules: the schedule fits the run and the optimizer's rate, as traits,
// positively at the boundary and negatively just past it (the static_asserts are tested
// in tests/compile_fail/).
#include <type_traits>

#include <doctest/doctest.h>

#include <pipeline/dsl.hpp>

using namespace pipeline;

namespace {
template <auto p>
using T = std::remove_cvref_t<decltype(p)>;

// clang-format off
constexpr auto base = Load<FashionMNIST>
                    | Model<ResNet18>
                    | Loss<CrossEntropy>;
// clang-format on
} // namespace

TEST_CASE("dsl/schedule_rules: a warm-up ends before the run does") {
    using namespace rules;
    // The largest valid warm-ups: just under the run, whole or fractional.
    // clang-format off
    static_assert(warmup_within_run<T<base
                                      | Schedule<Cosine, {.warmup_epochs = 3}>
                                      | Train<{.epochs = 4}>>>);
    static_assert(warmup_within_run<T<base
                                      | Schedule<Cosine, {.warmup_epochs = 3.99}>
                                      | Train<{.epochs = 4}>>>);
    static_assert(!warmup_within_run<T<base
                                       | Schedule<Cosine, {.warmup_epochs = 4}>
                                       | Train<{.epochs = 4}>>>);
    // The default Train<> runs 10 epochs.
    static_assert(warmup_within_run<T<base
                                      | Schedule<Cosine, {.warmup_epochs = 9.5}>>>);
    static_assert(!warmup_within_run<T<base
                                       | Schedule<Cosine, {.warmup_epochs = 10}>>>);
    // Step's warm-up too; OneCycle and Constant have none.
    static_assert(!warmup_within_run<T<base
                                       | Schedule<Step, {.every_epochs = 2, .warmup_epochs = 2}>
                                       | Train<{.epochs = 2}>>>);
    static_assert(warmup_within_run<T<base
                                      | Schedule<OneCycle>
                                      | Train<{.epochs = 1}>>>);
    static_assert(warmup_within_run<T<base
                                      | Schedule<Constant>
                                      | Train<{.epochs = 1}>>>);
    // clang-format on
    CHECK(detail::warmup_epochs_of<Cosine::with<{.warmup_epochs = 2.5}>>() == 2.5);
    CHECK(detail::warmup_epochs_of<OneCycle>() == 0.0);
}

TEST_CASE("dsl/schedule_rules: a step decay happens within the run") {
    using namespace rules;
    // Epochs count from 0: a run of 4 epochs decays at epoch 3 with every_epochs = 3.
    // clang-format off
    static_assert(step_decays_within_run<T<base
                                           | Schedule<Step, {.every_epochs = 3}>
                                           | Train<{.epochs = 4}>>>);
    static_assert(!step_decays_within_run<T<base
                                            | Schedule<Step, {.every_epochs = 4}>
                                            | Train<{.epochs = 4}>>>);
    // The default Step (every 30 epochs) never decays in the default Train<> (10 epochs).
    static_assert(!step_decays_within_run<T<base
                                            | Schedule<Step>>>);
    static_assert(step_decays_within_run<T<base
                                           | Schedule<Step>
                                           | Train<{.epochs = 31}>>>);
    // A warm-up as long as the interval, or longer, is fine: decays count from epoch 0
    // through the warm-up, as timm's step scheduler does.
    static_assert(validate(base
                           | Schedule<Step, {.every_epochs = 2, .warmup_epochs = 2}>
                           | Train<{.epochs = 3}>));
    static_assert(validate(base
                           | Schedule<Step, {.every_epochs = 1, .gamma = 0.9, .warmup_epochs = 2}>
                           | Train<{.epochs = 4}>));
    // clang-format on
    CHECK(detail::step_decays_within<Step::with<{.every_epochs = 3}>>(4));
    CHECK_FALSE(detail::step_decays_within<Step::with<{.every_epochs = 3}>>(3));
    CHECK(detail::step_decays_within<Cosine>(1));
}

TEST_CASE("dsl/schedule_rules: Cosine's floor lies below the optimizer's rate") {
    using namespace rules;
    // clang-format off
    static_assert(min_lr_below_lr<T<base
                                    | Optimizer<SGD, {.lr = 0.01}>
                                    | Schedule<Cosine, {.min_lr = 0.0099}>>>);
    static_assert(!min_lr_below_lr<T<base
                                     | Optimizer<SGD, {.lr = 0.01}>
                                     | Schedule<Cosine, {.min_lr = 0.01}>>>);
    // Against the default optimizer (SGD, lr 0.05) and AdamW's default (1e-3).
    static_assert(min_lr_below_lr<T<base
                                    | Schedule<Cosine, {.min_lr = 0.049}>>>);
    static_assert(!min_lr_below_lr<T<base
                                     | Optimizer<AdamW>
                                     | Schedule<Cosine, {.min_lr = 0.002}>>>);
    static_assert(schedule_valid<T<base
                                   | Optimizer<AdamW>
                                   | Schedule<Cosine, {.warmup_epochs = 1, .min_lr = 1e-5}>>>);
    // clang-format on
    CHECK(schedule_valid<T<base>>);
}
