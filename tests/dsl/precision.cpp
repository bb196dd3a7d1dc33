// dsl/precision: the Precision<...> stage, its place in the data flow, its name and what
// the specification carries.
#include <doctest/doctest.h>

#include <pipeline/dsl.hpp>

using namespace pipeline;

TEST_CASE("dsl/precision: Precision<BF16> goes after Train, prints, and reaches the spec") {
    // clang-format off
    constexpr auto p = Load<FashionMNIST>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>
                     | Precision<BF16>
                     | Evaluate<TTA<HorizontalFlip>>;
    // clang-format on
    using X = experiment_types<decltype(p)>;
    static_assert(X::precision.kind == precision_kind::bf16);
    static_assert(X::precision.autocast());
    static_assert(spec_of<decltype(p)>.precision.kind == precision_kind::bf16);
    static_assert(validate(p));
    // Omitted Optimizer, Schedule and Train come before it when filled in.
    CHECK(
        describe(p)
        == "Load<FashionMNIST> | Model<ResNet18> | Loss<CrossEntropy> | Optimizer<SGD> | "
           "Schedule<Cosine> | Train<> | Precision<BF16> | Evaluate<TTA<HorizontalFlip>>");
}

TEST_CASE("dsl/precision: FP16 is tuned like any name with defaults; FP32 is the default") {
    // clang-format off
    constexpr auto p = Load<FashionMNIST>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>
                     | Train<{.epochs = 2}>
                     | Precision<FP16, {.init_scale = 1024, .growth_interval = 100}>;
    constexpr auto q = Load<FashionMNIST>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>;
    // clang-format on
    constexpr auto fp16 = spec_of<decltype(p)>.precision;
    static_assert(fp16.kind == precision_kind::fp16);
    static_assert(fp16.scaler.init_scale == 1024.0);
    static_assert(fp16.scaler.growth_interval == 100);
    static_assert(fp16.scaler.growth_factor == 2.0);
    CHECK(describe(p)
          == "Load<FashionMNIST> | Model<ResNet18> | Loss<CrossEntropy> | Optimizer<SGD> | "
             "Schedule<Cosine> | Train<{.epochs = 2}> | Precision<FP16, {.init_scale = "
             "1024, .growth_interval = 100}>");
    static_assert(spec_of<decltype(q)>.precision.kind == precision_kind::fp32);
    static_assert(!spec_of<decltype(q)>.precision.autocast());
    CHECK(describe(q).find("Precision") == std::string::npos);
    // Written out, FP32 prints (what was asked for is what the record says).
    CHECK(name_of<FP32>() == "FP32");
}

TEST_CASE("dsl/precision: changing the number format is one change") {
    // clang-format off
    constexpr auto a = Load<FashionMNIST>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>;
    constexpr auto b = Load<FashionMNIST>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>
                     | Precision<BF16>;
    // clang-format on
    static_assert(one_change<decltype(a), decltype(b)>);
    CHECK(diff(a, b) == "+ Precision<BF16>\n");
}
