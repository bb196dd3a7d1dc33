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

TEST_CASE("dsl/execution: Execute<CudaGraph> reaches the spec; the rules that keep a "
          "captured step replayable") {
    // clang-format off
    constexpr auto g = Load<CIFAR10>
                     | Model<ResNet18>
                     | Loss<SmoothedCE<0.1>>
                     | Train<>
                     | Precision<BF16>
                     | Execute<ChannelsLast, CudaGraph>;
    constexpr auto plain = Load<CIFAR10>
                         | Model<ResNet18>
                         | Loss<CrossEntropy>;
    constexpr auto fp16 = Load<CIFAR10>
                        | Model<ResNet18>
                        | Loss<CrossEntropy>
                        | Train<>
                        | Precision<FP16>
                        | Execute<CudaGraph>;
    constexpr auto fp16_eager = Load<CIFAR10>
                              | Model<ResNet18>
                              | Loss<CrossEntropy>
                              | Train<>
                              | Precision<FP16>
                              | Execute<ChannelsLast>;
    constexpr auto ddp = Load<CIFAR10>
                       | Model<ResNet18>
                       | Loss<CrossEntropy>
                       | Train<>
                       | Execute<CudaGraph>
                       | Distributed<DDP>;
    constexpr auto ddp_eager = Load<CIFAR10>
                             | Model<ResNet18>
                             | Loss<CrossEntropy>
                             | Train<>
                             | Distributed<DDP>;
    // clang-format on
    static_assert(validate(g));
    static_assert(spec_of<decltype(g)>.execution.cuda_graph);
    static_assert(spec_of<decltype(g)>.execution.channels_last);
    static_assert(spec_of<decltype(g)>.execution.graph_warmup == 3);
    static_assert(!spec_of<decltype(plain)>.execution.cuda_graph);
    CHECK(describe(g).ends_with("| Precision<BF16> | Execute<ChannelsLast, CudaGraph>"));
    // The rules as traits, both ways (their static_asserts are the compile-fail tests
    // cuda_graph_fp16 and cuda_graph_distributed).
    static_assert(!rules::graph_without_loss_scale<decltype(fp16)>);
    static_assert(rules::graph_without_loss_scale<decltype(fp16_eager)>);
    static_assert(rules::graph_without_loss_scale<decltype(g)>);
    static_assert(!rules::graph_single_process<decltype(ddp)>);
    static_assert(rules::graph_single_process<decltype(ddp_eager)>);
    static_assert(rules::graph_single_process<decltype(g)>);
}
