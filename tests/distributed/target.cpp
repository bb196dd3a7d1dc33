// The experiment tests/distributed/ddp.py launches as 1, 2 and 3 processes over Gloo on the
// loopback: a staged unfreeze (Layer3 joins at epoch 2, so the buckets are rebuilt and the
// frozen blocks are never all-reduced) on a few hundred Fashion-MNIST images, with no
// random augmentation, so that a W-process run and a one-process run over the same global
// batches (--emulate-ranks W) must end with the same parameters.
//
// `target reducer-unused` instead runs the gradient reducer on a two-layer model in which
// rank 1 never uses one trainable parameter: the step must complete on every rank.
#include <cstdio>
#include <string>

#include <pipeline/all.hpp>

using namespace pipeline;

// clang-format off
constexpr auto experiment = Load<FashionMNIST, Subset<288>>
                          | Model<ResNet18,
                                  Frozen<Stem, Layer1, Layer2, Layer3>,
                                  Unfreeze<Layer3, AtEpoch<2>>,
                                  FreezeRandomInit>
                          | Loss<CrossEntropy>
                          | Optimizer<SGD, {.lr = 0.01}>
                          | Schedule<Constant>
                          | Train<{.epochs = 2, .batch_size = 48, .eval_batch_size = 48}>
                          | Distributed<DDP, {.bucket_mb = 1}>;
// clang-format on

namespace {

//! Two linear layers; rank 1 skips the second, so its parameters get no gradient there.
int reducer_unused(int argc, char** argv) {
    (void)argc;
    (void)argv;
    return guarded([] {
        torch::set_num_threads(1);
        auto const env = read_launch_environment();
        distributed_context ctx(env, torch::kCPU, std::chrono::seconds(20));
        torch::manual_seed(1);
        torch::nn::Linear a(4, 4), b(4, 2);
        std::vector<torch::Tensor> params;
        for (auto const& p : a->parameters())
            params.push_back(p);
        for (auto const& p : b->parameters())
            params.push_back(p);
        gradient_reducer reducer(ctx, 0.0001);
        reducer.rebuild(params);
        for (int step = 0; step < 3; ++step) {
            for (auto& p : params)
                p.mutable_grad() = torch::Tensor();
            auto x = torch::ones({2, 4}) * (ctx.rank() + 1);
            auto y = a->forward(x);
            if (ctx.rank() == 0)
                y = b->forward(y);
            y.sum().backward();
            reducer.finish("step " + std::to_string(step));
        }
        // b's weight: rank 0's gradient over the world size (rank 1 contributed zeros).
        std::printf(
            "reducer-unused: rank %d of %d finished, %zu buckets, b.weight grad sum "
            "%.6f\n",
            ctx.rank(), ctx.world(), reducer.buckets(),
            b->weight.grad().sum().item<double>());
    });
}

} // namespace

int main(int argc, char** argv) {
    if (argc > 1 && std::string(argv[1]) == "reducer-unused")
        return reducer_unused(argc, argv);
    return run(experiment, argc, argv);
}
