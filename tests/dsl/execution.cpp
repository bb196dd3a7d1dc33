// dsl/execution: the Execute<...> stage, its place in the data flow, its name and what
// the specification carries.
#include <string>

#include <doctest/doctest.h>

#include <pipeline/dsl.hpp>

using namespace pipeline;

TEST_CASE("dsl/execution: Execute<ChannelsLast> goes after Precision, prints, reaches the "
          "spec") {
    // clang-format off
    constexpr auto p = Load<FashionMNIST>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>
                     | Precision<BF16>
                     | Execute<ChannelsLast>
                     | Evaluate<TTA<HorizontalFlip>>;
    constexpr auto q = Load<FashionMNIST>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>
                     | Execute<ChannelsLast, Deterministic>;
    constexpr auto r = Load<FashionMNIST>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>;
    // clang-format on
    static_assert(validate(p));
    static_assert(spec_of<decltype(p)>.execution.channels_last);
    static_assert(!spec_of<decltype(p)>.execution.deterministic);
    static_assert(spec_of<decltype(q)>.execution.channels_last);
    static_assert(spec_of<decltype(q)>.execution.deterministic);
    static_assert(!spec_of<decltype(r)>.execution.channels_last);
    static_assert(!spec_of<decltype(r)>.execution.deterministic);
    CHECK(describe(p)
          == "Load<FashionMNIST> | Model<ResNet18> | Loss<CrossEntropy> | Optimizer<SGD> | "
             "Schedule<Cosine> | Train<> | Precision<BF16> | Execute<ChannelsLast> | "
             "Evaluate<TTA<HorizontalFlip>>");
    CHECK(describe(q).ends_with("| Train<> | Execute<ChannelsLast, Deterministic>"));
    static_assert(one_change<decltype(r), decltype(q)>);
}
