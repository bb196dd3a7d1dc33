// train/execution: Execute<ChannelsLast> lays a ResNet-18's parameters and buffers out
// channels-last without changing them, gives the same logits as the contiguous model
// (<= 1e-5) and the same weights after five SGD steps (in float64, <= 1e-12); batches
// gathered from a channels-last split keep the layout; a run with the stage trains as one
// without.
#include <algorithm>
#include <cstdint>
#include <string>

#include <doctest/doctest.h>
#include <torch/torch.h>

#include <pipeline/all.hpp>

#include "../support.hpp"

using namespace pipeline;

namespace {

double largest_difference(torch::Tensor const& a, torch::Tensor const& b) {
    return host_value<double>((a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max());
}

} // namespace

TEST_CASE("train/execution: a channels-last ResNet-18 computes and trains as the "
          "contiguous one") {
    model_config const config{3, 10, /*cifar_stem=*/true};
    torch::manual_seed(11);
    auto a = make_backbone<ResNet18>(config);
    torch::manual_seed(11);
    auto b = make_backbone<ResNet18>(config);
    auto const conv_before = b->conv1->weight;
    to_channels_last(*b);
    // Laid out anew, the same tensors (their identity, names and values).
    CHECK(b->conv1->weight.unsafeGetTensorImpl() == conv_before.unsafeGetTensorImpl());
    CHECK(is_channels_last(b->conv1->weight));
    CHECK(!is_channels_last(a->conv1->weight));
    int four_d = 0;
    for (auto const& p : b->named_parameters()) {
        if (p.value().dim() == 4) {
            ++four_d;
            // (a 1x1 kernel's two layouts are the same strides)
            CHECK_MESSAGE(p.value().is_contiguous(torch::MemoryFormat::ChannelsLast),
                          p.key());
        }
    }
    CHECK(four_d == 20); // the stem conv, 16 block convs, 3 downsample convs
    auto pa = a->named_parameters();
    auto pb = b->named_parameters();
    for (std::size_t i = 0; i < pa.size(); ++i)
        CHECK(torch::equal(pa[i].value(), pb[i].value()));

    auto gen = compat::make_cpu_generator(3);
    auto const x = torch::randn({8, 3, 16, 16}, gen);
    a->eval();
    b->eval();
    {
        torch::NoGradGuard no_grad;
        auto const la = a->forward(x);
        auto const lb = b->forward(channels_last(x));
        auto const d = largest_difference(la, lb);
        MESSAGE("logits, evaluation mode: largest difference " << d);
        CHECK(d <= 1e-5);
    }

    // Five SGD steps (momentum, weight decay) on the same batches, in float64: in float32
    // the layouts round differently (their convolutions sum in other orders), and with
    // batches of 8 a ReLU input within rounding of 0 can switch and part the trajectories
    // after one step, as between any two convolution algorithms (measured here: a
    // gradient 8e-3 apart at the first step, weights 4e-3 apart after three). In float64
    // rounding is 1e-16 and the layouts must agree.
    a->to(torch::kFloat64);
    b->to(torch::kFloat64);
    CHECK(is_channels_last(b->conv1->weight)); // Module::to keeps the layout
    a->train();
    b->train();
    torch::optim::SGD oa(a->parameters(),
                         torch::optim::SGDOptions(0.01).momentum(0.9).weight_decay(5e-4));
    torch::optim::SGD ob(b->parameters(),
                         torch::optim::SGDOptions(0.01).momentum(0.9).weight_decay(5e-4));
    for (int step = 0; step < 5; ++step) {
        auto const xs = torch::randn({8, 3, 16, 16}, gen).to(torch::kFloat64);
        auto const ys = torch::randint(10, {8}, gen, torch::kInt64);
        for (auto [model, opt, input] :
             {std::tuple{&a, &oa, xs}, std::tuple{&b, &ob, channels_last(xs)}}) {
            opt->zero_grad();
            torch::nn::functional::cross_entropy((*model)->forward(input), ys).backward();
            opt->step();
        }
    }
    double worst = 0.0;
    for (std::size_t i = 0; i < pa.size(); ++i)
        worst = std::max(worst, largest_difference(pa[i].value(), pb[i].value()));
    auto const ba = a->named_buffers();
    auto const bb = b->named_buffers();
    double worst_buffer = 0.0;
    for (std::size_t i = 0; i < ba.size(); ++i)
        if (ba[i].value().is_floating_point())
            worst_buffer =
                std::max(worst_buffer, largest_difference(ba[i].value(), bb[i].value()));
    MESSAGE("after 5 float64 steps: largest weight difference "
            << worst
            << ", largest BatchNorm statistic "
               "difference "
            << worst_buffer);
    CHECK(worst <= 1e-12);
    CHECK(worst_buffer <= 1e-12);
    CHECK(is_channels_last(b->conv1->weight)); // the optimizer kept the layout
}

TEST_CASE("train/execution: batches gathered from a channels-last split keep the layout") {
    auto gen = compat::make_cpu_generator(4);
    labelled_images const split{torch::randint(256, {12, 3, 5, 5}, gen, torch::kUInt8),
                                torch::arange(12, torch::kInt64)};
    std::vector<double> const mean{0.5, 0.4, 0.3};
    std::vector<double> const std{0.2, 0.25, 0.3};
    normalizer const norm(mean, std, torch::Device(torch::kCPU));
    device_batches const plain(split, norm);
    device_batches const nhwc(split.channels_last(), norm);
    auto const order = torch::randperm(12, gen, torch::kInt64);
    auto const p = plain.get(order, 1, 4);
    auto const q = nhwc.get(order, 1, 4);
    CHECK(!is_channels_last(p.x));
    CHECK(is_channels_last(q.x));
    CHECK(torch::equal(p.x, q.x));
    CHECK(torch::equal(p.y, q.y));
    auto const s = nhwc.get_shard(order, 0, 4, 1, 2);
    CHECK(is_channels_last(s.x));
    CHECK(torch::equal(s.x, plain.get_shard(order, 0, 4, 1, 2).x));
}

TEST_CASE("train/execution: a run with Execute<ChannelsLast> trains as one without") {
    // Two steps: the data path (a channels-last split, gathered and normalised) and the
    // model give the losses of the contiguous run.
    // clang-format off
    constexpr auto nchw = Load<FashionMNIST, Subset<64>>
                        | Model<ResNet18>
                        | Loss<CrossEntropy>
                        | Optimizer<SGD, {.lr = 0.01}>
                        | Train<{.epochs = 1, .batch_size = 32, .eval_batch_size = 256}>;
    constexpr auto nhwc = Load<FashionMNIST, Subset<64>>
                        | Model<ResNet18>
                        | Loss<CrossEntropy>
                        | Optimizer<SGD, {.lr = 0.01}>
                        | Train<{.epochs = 1, .batch_size = 32, .eval_batch_size = 256}>
                        | Execute<ChannelsLast>;
    // clang-format on
    static_assert(one_change<decltype(nchw), decltype(nhwc)>);
    auto const a = fit(nchw, testing::quiet_run_options(5));
    auto const b = fit(nhwc, testing::quiet_run_options(5));
    auto const& ma = a.history.back().metrics;
    auto const& mb = b.history.back().metrics;
    MESSAGE("train loss " << ma.train_loss << " vs " << mb.train_loss << ", val loss "
                          << ma.val_loss << " vs " << mb.val_loss);
    CHECK(mb.train_loss == doctest::Approx(ma.train_loss).epsilon(1e-4));
    CHECK(mb.val_loss == doctest::Approx(ma.val_loss).epsilon(1e-3));
    CHECK(b.experiment.ends_with("| Execute<ChannelsLast>"));
}
