// train/transfer: parameters split by block; frozen blocks get no update and keep their
// BatchNorm statistics; groups get the rates the plan says; a staged run unfreezes on time.
#include <map>
#include <string>

#include <doctest/doctest.h>
#include <torch/torch.h>

#include <pipeline/all.hpp>

using namespace pipeline;

namespace {
template <class... Options>
constexpr spec::model const& plan = model_spec_of<ModelStage<ResNet18, Options...>>;

models::ResNet tiny_resnet(std::uint64_t seed = 0) {
    torch::manual_seed(seed);
    return make_backbone<ResNet18>({1, 10});
}

std::map<std::string, torch::Tensor> snapshot(torch::nn::Module const& m) {
    std::map<std::string, torch::Tensor> out;
    for (auto const& p : m.named_parameters())
        out[p.key()] = p.value().detach().clone();
    for (auto const& b : m.named_buffers())
        out[b.key()] = b.value().detach().clone();
    return out;
}

bool starts_with(std::string const& s, std::string const& prefix) {
    return s.rfind(prefix, 0) == 0;
}

//! A few SGD steps of `model` on random data through the controller.
void train_steps(models::ResNet& model, transfer_controller& transfer, built_optimizer& opt,
                 int epoch, int steps) {
    transfer.enter_epoch(epoch);
    opt.epoch = epoch;
    model->train();
    transfer.apply_batchnorm_modes();
    opt.set_lr(0.1);
    for (int s = 0; s < steps; ++s) {
        auto x = torch::randn({8, 1, 28, 28});
        auto y = torch::randint(10, {8}, torch::kInt64);
        auto loss = torch::cross_entropy_loss(transfer.forward(model, x), y);
        opt.optimizer->zero_grad();
        loss.backward();
        opt.optimizer->step();
    }
}
} // namespace

TEST_CASE("train/transfer: parameters split by block into named decay groups") {
    auto model = tiny_resnet();
    auto const& P = plan<LrScale<Head, 10.0>>;
    transfer_controller transfer(P, *model);
    auto const& blocks = transfer.blocks();
    REQUIRE(blocks.size() == 6);
    std::int64_t total = 0;
    for (auto const& p : model->parameters())
        total += p.numel();
    std::int64_t sum = 0;
    for (auto const& b : blocks)
        sum += b.count;
    CHECK(sum == total);
    CHECK(blocks[0].name == "Stem");
    CHECK(blocks[0].count == 7 * 7 * 64 + 2 * 64); // conv1 (1 channel in) + bn1
    CHECK(blocks[0].batchnorms.size() == 1);
    CHECK(blocks[1].batchnorms.size() == 4); // layer1: 2 BasicBlocks x 2 BN
    CHECK(blocks[2].batchnorms.size() == 5); // layer2 adds the downsample's BN
    CHECK(blocks[5].count == 512 * 10 + 10);
    auto opt = optimizer_builder<SGD::with<{.lr = 0.1}>>::make(blocks);
    std::vector<std::string> names;
    for (auto const& g : opt.groups)
        names.push_back(g.name);
    CHECK(names
          == std::vector<std::string>{"Stem.decay", "Stem.no_decay", "Layer1.decay",
                                      "Layer1.no_decay", "Layer2.decay", "Layer2.no_decay",
                                      "Layer3.decay", "Layer3.no_decay", "Layer4.decay",
                                      "Layer4.no_decay", "Head.decay", "Head.no_decay"});
    auto& pgs = opt.optimizer->param_groups();
    REQUIRE(pgs.size() == 12);
    // BatchNorm and bias parameters (the no_decay groups) get no weight decay.
    for (std::size_t i = 0; i < pgs.size(); ++i) {
        auto const& o = static_cast<torch::optim::SGDOptions const&>(pgs[i].options());
        CHECK(o.weight_decay() == (i % 2 == 0 ? 5e-4 : 0.0));
    }
    CHECK(opt.groups[10].lr_factor == 10.0);
}

TEST_CASE(
    "train/transfer: frozen blocks stay bit-identical, BatchNorm statistics included") {
    auto model = tiny_resnet(1);
    auto const& P = plan<Frozen<Stem, Layer1>, FreezeRandomInit>;
    transfer_controller transfer(P, *model);
    auto opt = optimizer_builder<SGD::with<{.lr = 0.1}>>::make(transfer.blocks());
    auto const before = snapshot(*model);
    train_steps(model, transfer, opt, 1, 3);
    auto const after = snapshot(*model);
    int frozen = 0, moved = 0;
    for (auto const& [name, t] : before) {
        bool const is_frozen = starts_with(name, "conv1.") || starts_with(name, "bn1.")
                               || starts_with(name, "layer1.");
        if (is_frozen) {
            ++frozen;
            CHECK_MESSAGE(torch::equal(t, after.at(name)), name);
        } else if (!torch::equal(t, after.at(name))) {
            ++moved;
        }
    }
    CHECK(frozen > 10);
    // Every trainable parameter and running statistic moved (num_batches_tracked too).
    CHECK(moved == static_cast<int>(before.size()) - frozen);
    // Frozen parameters carry no gradient; the stem runs under no-grad.
    CHECK(!model->conv1->weight.grad().defined());
    CHECK(model->fc->weight.grad().defined());
    CHECK(transfer.frozen_prefix() == 2);
}

TEST_CASE("train/transfer: BatchNorm<TrainMode> lets frozen statistics move, not weights") {
    auto model = tiny_resnet(2);
    auto const& P = plan<Frozen<Stem>, BatchNorm<TrainMode>, FreezeRandomInit>;
    transfer_controller transfer(P, *model);
    auto opt = optimizer_builder<SGD::with<{.lr = 0.1}>>::make(transfer.blocks());
    auto const before = snapshot(*model);
    train_steps(model, transfer, opt, 1, 2);
    CHECK(torch::equal(before.at("conv1.weight"), model->conv1->weight));
    CHECK(torch::equal(before.at("bn1.weight"), model->bn1->weight));
    CHECK(!torch::equal(before.at("bn1.running_mean"), model->bn1->running_mean));
}

TEST_CASE("train/transfer: the block-by-block forward equals the plain forward") {
    auto model = tiny_resnet(3);
    auto const& P = plan<Frozen<Stem, Layer1, Layer2, Layer3, Layer4>, FreezeRandomInit>;
    transfer_controller transfer(P, *model);
    transfer.enter_epoch(1);
    model->eval();
    auto x = torch::randn({4, 1, 28, 28});
    auto a = transfer.forward(model, x);
    auto b = model->forward(x);
    CHECK(torch::equal(a, b));
    CHECK(a.requires_grad()); // the head trains
    CHECK(transfer.frozen_prefix() == 5);
}

TEST_CASE("train/transfer: group rates are what the plan says, step by step") {
    auto model = tiny_resnet();
    auto const& P = plan<Frozen<Stem>, Unfreeze<Stem, AtEpoch<2>>, LayerDecay<0.5>,
                         LrScale<Head, 2.0>, FreezeRandomInit>;
    using S = Cosine::with<{.warmup_epochs = 1}>;
    transfer_controller transfer(P, *model);
    auto opt = optimizer_builder<AdamW::with<{.lr = 0.01}>>::make(transfer.blocks());
    schedule_clock clock{.step = 0, .steps_per_epoch = 10, .total_steps = 30};
    auto rates = [&] {
        std::vector<double> out;
        for (auto& g : opt.optimizer->param_groups())
            out.push_back(g.options().get_lr());
        return out;
    };
    // Epoch 1, step 4: warm-up at 5/10 of 0.01; the stem is frozen (rate 0).
    clock.step = 4;
    opt.epoch = 1;
    opt.set_lr(scheduled_lr<S>(opt.base_lr, clock));
    auto r = rates();
    double const base = 0.01 * 5.0 / 10.0;
    // Groups: Stem x2, Layer1 x2, ..., Head x2; factors 0.5^(5-i), Head 2.
    std::vector<double> const factor{0.0, 0.0625, 0.125, 0.25, 0.5, 2.0};
    for (std::size_t g = 0; g < r.size(); ++g)
        CHECK(r[g] == doctest::Approx(base * factor[g / 2]));
    // Epoch 2, step 20: midpoint of the cosine; the stem now trains at 0.5^5.
    clock.step = 20;
    opt.epoch = 2;
    opt.set_lr(scheduled_lr<S>(opt.base_lr, clock));
    r = rates();
    CHECK(r[0] == doctest::Approx(0.005 * 0.03125));
    CHECK(r[10] == doctest::Approx(0.005 * 2.0));
}

TEST_CASE("train/transfer: a staged run keeps frozen blocks and unfreezes on time") {
    // clang-format off
    constexpr auto staged = Load<FashionMNIST, Subset<256>>
                          | Model<ResNet18,
                                  Frozen<Stem, Layer1, Layer2>,
                                  Unfreeze<Layer2, AtEpoch<2>>,
                                  FreezeRandomInit>
                          | Loss<CrossEntropy>
                          | Optimizer<SGD, {.lr = 0.05}>
                          | Schedule<Constant>
                          | Train<{.epochs = 2, .batch_size = 64, .eval_batch_size = 256}>;
    // clang-format on
    run_options o;
    o.device = "cpu";
    o.seed = 5;
    o.out_dir.clear();
    o.eval_limit = 64;
    o.threads = 2;
    o.log = nullptr;
    auto r = fit(staged, o);
    // The initial model: the same seed stream as fit's.
    torch::manual_seed(derive_seed(5, "model"));
    auto initial = make_backbone<ResNet18>({1, 10});
    auto const before = snapshot(*initial);
    REQUIRE(r.state.size() == before.size());
    for (auto const& [name, t] : before) {
        bool const frozen_throughout = starts_with(name, "conv1.")
                                       || starts_with(name, "bn1.")
                                       || starts_with(name, "layer1.");
        if (frozen_throughout)
            CHECK_MESSAGE(torch::equal(t, r.state.at(name)), name);
        else
            CHECK_MESSAGE(!torch::equal(t, r.state.at(name)), name);
    }
    REQUIRE(r.history.size() == 2);
    CHECK(r.history[1].trainable > r.history[0].trainable);
    CHECK(r.blocks
          == std::vector<std::string>{"Stem", "Layer1", "Layer2", "Layer3", "Layer4",
                                      "Head"});
    CHECK(r.history[0].block_lrs == std::vector<double>{0, 0, 0, 0.05, 0.05, 0.05});
    CHECK(r.history[1].block_lrs == std::vector<double>{0, 0, 0.05, 0.05, 0.05, 0.05});
}

TEST_CASE("train/transfer: a frozen MobileNet prefix records no autograd graph") {
    // The frozen prefix runs block by block under no-grad, and its parameters stop
    // requiring gradients: autograd records nothing, and keeps no activation, for it; only
    // the trainable part has a graph.
    torch::manual_seed(0);
    auto model = make_backbone<MobileNetV2>({3, 10});
    auto const& P = model_spec_of<ModelStage<
        MobileNetV2,
        Frozen<Stem, Stage0, Stage1, Stage2, Stage3, Stage4, Stage5, Stage6, LastConv>,
        FreezeRandomInit>>;
    transfer_controller transfer(P, *model);
    transfer.enter_epoch(1);
    model->train();
    transfer.apply_batchnorm_modes();
    auto const x = torch::randn({2, 3, 64, 64});
    auto features = x;
    for (std::size_t b = 0; b + 1 < model->block_count(); ++b)
        features = model->forward_block(b, features);
    CHECK_FALSE(features.requires_grad());
    CHECK_FALSE(features.grad_fn());
    auto const logits = transfer.forward(model, x);
    CHECK(logits.requires_grad()); // the head trains
}
