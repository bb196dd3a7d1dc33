// dsl/one_change: controlled comparisons at compile time: one stage added, removed, or
// changed in one argument is one change; two such edits are not; diff says which.
#include <string>

#include <doctest/doctest.h>

#include <pipeline/dsl.hpp>
#include <pipeline/dsl/one_change.hpp>

using namespace pipeline;

namespace {
// clang-format off
constexpr auto base = Load<CIFAR10>
                    | Model<ResNet18>
                    | Loss<CrossEntropy>;
constexpr auto smoothed = Load<CIFAR10>
                        | Model<ResNet18>
                        | Loss<SmoothedCE<0.1>>;
constexpr auto flipped = Load<CIFAR10>
                       | Augment<HorizontalFlip>
                       | Model<ResNet18>
                       | Loss<CrossEntropy>;
constexpr auto flipped_smoothed = Load<CIFAR10>
                                | Augment<HorizontalFlip>
                                | Model<ResNet18>
                                | Loss<SmoothedCE<0.1>>;
constexpr auto cifar_stem = Load<CIFAR10>
                          | Model<ResNet18, CifarStem>
                          | Loss<CrossEntropy>;
constexpr auto resnet34_cifar_stem = Load<CIFAR10>
                                   | Model<ResNet34, CifarStem>
                                   | Loss<CrossEntropy>;
constexpr auto shorter = Load<CIFAR10>
                       | Model<ResNet18>
                       | Loss<CrossEntropy>
                       | Train<{.epochs = 3}>;
constexpr auto written_defaults = Load<CIFAR10>
                                | Model<ResNet18>
                                | Loss<CrossEntropy>
                                | Optimizer<SGD>
                                | Schedule<Cosine>;
// clang-format on
template <auto a, auto b>
constexpr bool one = one_change<decltype(a), decltype(b)>;
} // namespace

TEST_CASE("dsl/one_change: one stage or one argument apart, and no more") {
    static_assert(one<base, smoothed>);             // a stage's argument
    static_assert(one<base, flipped>);              // a stage added
    static_assert(one<flipped, base>);              // a stage removed
    static_assert(one<base, cifar_stem>);           // one Model option added
    static_assert(one<base, shorter>);              // a default stage written with a value
    static_assert(!one<base, flipped_smoothed>);    // two changes
    static_assert(!one<base, resnet34_cifar_stem>); // backbone and option
    static_assert(!one<base, base>);                // no change at all
    static_assert(!one<base, written_defaults>); // the defaults written out change nothing
    CHECK(diff(base, flipped_smoothed)
          == "- Loss<CrossEntropy>\n+ Augment<HorizontalFlip>\n+ Loss<SmoothedCE<0.1>>\n");
    CHECK(diff(base, written_defaults).empty());
}
