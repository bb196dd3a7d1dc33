// dsl/run_checks: the run-time side of the cross-stage rules (an --epochs override, a
// training set known only once read, --limit) says what the compile-time rules say.
#include <optional>
#include <string>
#include <type_traits>

#include <doctest/doctest.h>

#include <pipeline/dsl.hpp>

using namespace pipeline;

namespace {
template <auto p>
using T = std::remove_cvref_t<decltype(p)>;

// clang-format off
constexpr auto staged = Load<FashionMNIST, Subset<1000>, Split<0.1>>
                      | Model<ResNet18, Frozen<Stem>, Unfreeze<Stem, AtEpoch<4>>>
                      | Loss<CrossEntropy>
                      | Schedule<Cosine, {.warmup_epochs = 2}>
                      | Train<{.epochs = 6, .batch_size = 100}>;
constexpr auto stepped = Load<ImageFolder<"photos", {.classes = 2, .size = 32}>, Subset<500>>
                       | Model<ResNet18>
                       | Loss<CrossEntropy>
                       | Schedule<Step, {.every_epochs = 3}>
                       | Train<{.epochs = 5, .batch_size = 64}>;
// clang-format on
using Staged = T<staged>;
using Stepped = T<stepped>;

bool says(std::optional<std::string> const& message, std::string const& part) {
    return message && message->find(part) != std::string::npos;
}
} // namespace

TEST_CASE("dsl/run_checks: an --epochs override keeps the warm-up, decay and unfreezes") {
    CHECK(check_run_length<Staged>(6) == std::nullopt);
    // The last unfreeze is at epoch 4: 4 epochs is the shortest valid run.
    CHECK(check_run_length<Staged>(4) == std::nullopt);
    CHECK(says(check_run_length<Staged>(3), "Unfreeze<Block, AtEpoch<4>> comes after the "
                                            "last epoch of the run (3 epochs)"));
    // The warm-up (2 epochs) needs 3 epochs or more.
    CHECK(says(check_run_length<Staged>(2),
               "the warm-up of Schedule<Cosine, {.warmup_epochs = 2}> (2 epochs) is not "
               "shorter than the run (2 epochs)"));
    // Step every 3 epochs decays in epoch 4.
    CHECK(check_run_length<Stepped>(4) == std::nullopt);
    CHECK(says(check_run_length<Stepped>(3), "first decays in epoch 4"));
    // clang-format off
    CHECK(check_run_length<T<Load<CIFAR10>
                             | Model<ResNet18>
                             | Loss<CrossEntropy>>>(1) == std::nullopt);
    // clang-format on
}

TEST_CASE(
    "dsl/run_checks: a training set read at run time fits Subset, Split and a batch") {
    // ImageFolder: Subset<500> needs 500 examples; 500 less nothing fills a batch of 64.
    CHECK(check_split_sizes<Stepped>(500) == std::nullopt);
    CHECK(says(check_split_sizes<Stepped>(499),
               "keeps 500 training examples, but ImageFolder<\"photos\", {.classes = 2, "
               ".size = 32}> has 499 training examples"));
    // --limit overrides Subset: fewer than a batch is an error, more than there are is not
    // (a smoke run's "at most").
    CHECK(says(check_split_sizes<Stepped>(499, 63), "smaller than one batch of "
                                                    "Train<{.batch_size = 64}>"));
    CHECK(check_split_sizes<Stepped>(499, 64) == std::nullopt);
    CHECK(check_split_sizes<Stepped>(100, 1000) == std::nullopt);
    // Split<0.1> of 1000 holds out 100; 900 fill a batch of 100.
    CHECK(check_split_sizes<Staged>(60000) == std::nullopt);
    CHECK(says(check_split_sizes<Staged>(60000, 110), "the training split (99 of 110 "
                                                      "training examples (--limit 110), "
                                                      "less 11 held out by Split<0.1>)"));
    CHECK(check_split_sizes<Staged>(60000, 111) == std::nullopt);
    CHECK(says(check_split_sizes<Staged>(60000, 4), "Split<0.1> of 4 training examples "
                                                    "(--limit 4) holds out none"));
}
