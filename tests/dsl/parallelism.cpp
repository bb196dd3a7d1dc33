// dsl/parallelism: the Distributed<DDP> stage, its place in the data flow and its name.
#include <type_traits>

#include <doctest/doctest.h>

#include <pipeline/dsl.hpp>

using namespace pipeline;

TEST_CASE("dsl/parallelism: Distributed<DDP> goes last, prints, and resolves") {
    // clang-format off
    constexpr auto p = Load<FashionMNIST>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>
                     | Train<{.batch_size = 256}>
                     | Distributed<DDP, {.bucket_mb = 50}>;
    // clang-format on
    using X = experiment_types<decltype(p)>;
    static_assert(X::distributed);
    static_assert(X::ddp.bucket_mb == 50.0);
    CHECK(describe(p)
          == "Load<FashionMNIST> | Model<ResNet18> | Loss<CrossEntropy> | Optimizer<SGD> | "
             "Schedule<Cosine> | Train<{.batch_size = 256}> | Distributed<DDP, "
             "{.bucket_mb = 50}>");
    // Omitted Optimizer, Schedule and Train come before it when filled in.
    // clang-format off
    constexpr auto q = Load<FashionMNIST>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>
                     | Distributed<DDP>;
    // clang-format on
    CHECK(describe(q)
          == "Load<FashionMNIST> | Model<ResNet18> | Loss<CrossEntropy> | Optimizer<SGD> | "
             "Schedule<Cosine> | Train<> | Distributed<DDP>");
    static_assert(validate(q));
}

TEST_CASE("dsl/parallelism: without the stage, a pipeline asks for no data parallelism") {
    // clang-format off
    constexpr auto p = Load<FashionMNIST>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>;
    // clang-format on
    using X = experiment_types<decltype(p)>;
    static_assert(!X::distributed);
    static_assert(X::ddp.bucket_mb == DdpParams{}.bucket_mb);
}

TEST_CASE("dsl/parallelism: order, uniqueness and the argument's category") {
    using D = decltype(Distributed<DDP>);
    using T = decltype(Train<>);
    static_assert(rules::in_data_flow_order<T, D>);
    static_assert(!rules::in_data_flow_order<D, T>);
    static_assert(rules::out_of_order_kind<D, T> == int(stage_kind::train));
    static_assert(rules::unique_kind<stage_kind::distributed, T, D>);
    static_assert(!rules::unique_kind<stage_kind::distributed, D, D>);
    static_assert(is_parallelism<DDP>);
    static_assert(!is_parallelism<SGD>);
}
