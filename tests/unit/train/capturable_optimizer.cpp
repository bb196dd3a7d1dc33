// train/capturable_optimizer: the multi-tensor SGD and AdamW read each group's rate (and
// AdamW its step counts) from device tensors, so a captured step would replay correctly.
// 50 steps under a cosine schedule written through set_lr, over three blocks (six groups)
// with rate factors 0.5, 1 and 2, the last block frozen for the first epoch and one
// weight joining late, end within 1e-6 of torch::optim::SGD / AdamW driven the ordinary
// way (a host rate per group); the step reads the device rate, not the host option, and
// no host value; a checkpoint taken mid-run resumes to the uninterrupted run.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <doctest/doctest.h>
#include <torch/torch.h>

#include <pipeline/all.hpp>

#include "../support.hpp"

using namespace pipeline;

namespace {

constexpr int capt_steps = 50;
constexpr int capt_steps_per_epoch = 10; // the third block joins at step 10 (epoch 2)
constexpr int capt_late_steps = 3;       // the skip weight S has no gradient before step 3
constexpr double capt_factor[] = {0.5, 1.0, 2.0};

//! W1, b1, W2, S, b2, W3, b3: a tanh network with a skip from the first layer (S).
std::vector<torch::Tensor> capt_parameters() {
    auto gen = compat::make_cpu_generator(21);
    std::vector<torch::Tensor> out;
    for (auto const& shape : std::vector<std::vector<std::int64_t>>{
             {4, 6}, {6}, {6, 5}, {6, 3}, {5}, {5, 3}, {3}})
        out.push_back((torch::randn(shape, gen) * 0.5).requires_grad_());
    return out;
}

std::vector<torch::Tensor> capt_clone(std::vector<torch::Tensor> const& ps) {
    std::vector<torch::Tensor> out;
    for (auto const& p : ps)
        out.push_back(p.detach().clone().requires_grad_());
    return out;
}

//! Block0 = {W1 | b1}, Block1 = {W2, S | b2}, Block2 = {W3 | b3} (decay | no decay), with
//! the rate factors above; Block2 trains from epoch 2.
std::vector<block_parameters> capt_blocks(std::vector<torch::Tensor> const& p) {
    std::vector<block_parameters> out(3);
    out[0].decay = {p[0]};
    out[0].no_decay = {p[1]};
    out[1].decay = {p[2], p[3]};
    out[1].no_decay = {p[4]};
    out[2].decay = {p[5]};
    out[2].no_decay = {p[6]};
    for (std::size_t b = 0; b < 3; ++b) {
        out[b].name = "Block" + std::to_string(b);
        out[b].lr_factor = capt_factor[b];
    }
    out[2].trainable_from = 2;
    return out;
}

torch::Tensor capt_loss(std::vector<torch::Tensor> const& p, torch::Tensor const& x,
                        torch::Tensor const& y) {
    auto const h1 = torch::tanh(x.matmul(p[0]) + p[1]);
    auto const h2 = torch::tanh(h1.matmul(p[2]) + p[4]);
    auto const out = h2.matmul(p[5]) + p[6] + h1.matmul(p[3]);
    return torch::mse_loss(out, y);
}

//! One step on `p` with `opt`: the frozen block and the late weight get no gradient.
void capt_step(std::vector<torch::Tensor>& p, torch::optim::Optimizer& opt, int step,
               torch::Tensor const& x, torch::Tensor const& y) {
    opt.zero_grad();
    capt_loss(p, x, y).backward();
    if (step < capt_steps_per_epoch)
        for (auto i : {5, 6})
            p[i].mutable_grad() = torch::Tensor();
    if (step < capt_late_steps)
        p[3].mutable_grad() = torch::Tensor();
    opt.step();
}

double capt_max_abs(torch::Tensor const& a, torch::Tensor const& b) {
    return host_value<double>((a - b).abs().max());
}

//! The state tensors of parameter `p` in `opt` (momentum, or moments), and its step count.
std::pair<std::vector<torch::Tensor>, std::int64_t>
capt_state(torch::optim::Optimizer const& opt, torch::Tensor const& p) {
    auto const& s = *opt.state().at(compat::optimizer_state_key(p));
    if (auto const* sgd = dynamic_cast<torch::optim::SGDParamState const*>(&s))
        return {{sgd->momentum_buffer()}, 0};
    auto const& a = dynamic_cast<torch::optim::AdamWParamState const&>(s);
    auto const counts = device_step_counts(opt);
    auto const it = counts.find(&s);
    return {{a.exp_avg(), a.exp_avg_sq()}, it == counts.end() ? a.step() : it->second};
}

//! The largest difference of the parameters, and of the optimizer state relative to its
//! magnitude where that is above 1 (momentum accumulates gradients, here up to 2).
struct capt_differences {
    double parameters = 0.0;
    double state = 0.0;
};

//! 50 steps of `Reference` (torch::optim's, a host rate per group) and of the library's
//! multi-tensor optimizer that `make(blocks)` builds, both from the same parameters under
//! a cosine schedule (half an epoch of warm-up) from `base_lr`; `options(lr, decay)` the
//! reference's group options.
template <class Reference, class Make, class Options>
capt_differences capt_compare(Make make, Options options, double base_lr) {
    auto pr = capt_parameters();
    auto pm = capt_clone(pr);
    auto const rblocks = capt_blocks(pr);
    std::vector<torch::optim::OptimizerParamGroup> groups;
    for (auto const& b : rblocks)
        for (bool decay : {true, false})
            groups.emplace_back(decay ? b.decay : b.no_decay,
                                std::make_unique<decltype(options(base_lr, decay))>(
                                    options(base_lr * b.lr_factor, decay)));
    Reference reference(std::move(groups), options(base_lr, true));
    built_optimizer built = make(capt_blocks(pm));
    REQUIRE(built.multi_tensor);
    REQUIRE(dynamic_cast<capturable_optimizer*>(built.optimizer.get()) != nullptr);
    REQUIRE(built.optimizer->param_groups().size() == 6);

    CosineParams const cosine{.warmup_epochs = 0.5};
    auto gen = compat::make_cpu_generator(22);
    for (int step = 0; step < capt_steps; ++step) {
        int const epoch = step / capt_steps_per_epoch + 1;
        double const lr = cosine_lr(cosine, base_lr,
                                    {.step = step,
                                     .steps_per_epoch = capt_steps_per_epoch,
                                     .total_steps = capt_steps});
        auto const x = torch::randn({8, 4}, gen);
        auto const y = torch::randn({8, 3}, gen);
        // The ordinary way: each group's rate on the host.
        auto& rg = reference.param_groups();
        for (std::size_t g = 0; g < rg.size(); ++g) {
            bool const frozen = g / 2 == 2 && epoch < 2;
            rg[g].options().set_lr(frozen ? 0.0 : lr * capt_factor[g / 2]);
        }
        capt_step(pr, reference, step, x, y);
        built.epoch = epoch;
        built.set_lr(lr);
        capt_step(pm, *built.optimizer, step, x, y);
        if (step == capt_steps_per_epoch - 1) {
            // The frozen block has no state yet (momentum: the other five tensors).
            CHECK(built.optimizer->state().size() == reference.state().size());
            CHECK(built.optimizer->state().size() == 5);
        }
    }
    CHECK(built.optimizer->state().size() == 7);
    capt_differences worst;
    for (std::size_t i = 0; i < pr.size(); ++i) {
        CHECK_MESSAGE(capt_max_abs(pr[i], capt_parameters()[i]) > 1e-3, "parameter " << i);
        worst.parameters = std::max(worst.parameters, capt_max_abs(pr[i], pm[i]));
        auto const [rs, rstep] = capt_state(reference, pr[i]);
        auto const [ms, mstep] = capt_state(*built.optimizer, pm[i]);
        CHECK(rstep == mstep);
        for (std::size_t k = 0; k < rs.size(); ++k) {
            auto const scale = std::max(1.0, host_value<double>(rs[k].abs().max()));
            worst.state = std::max(worst.state, capt_max_abs(rs[k], ms[k]) / scale);
        }
    }
    return worst;
}

auto capt_sgd_options(SgdParams const& p) {
    return [p](double lr, bool decay) {
        return torch::optim::SGDOptions(lr)
            .momentum(p.momentum)
            .nesterov(p.nesterov)
            .weight_decay(decay ? p.weight_decay : 0.0);
    };
}

auto capt_adamw_options(AdamWParams const& p) {
    return [p](double lr, bool decay) {
        return torch::optim::AdamWOptions(lr)
            .betas({p.beta1, p.beta2})
            .eps(p.eps)
            .weight_decay(decay ? p.weight_decay : 0.0);
    };
}

// The library's default SGD rate. At 0.1 (an effective 1 with the momentum) the weights
// reach 3, where a float ulp is 2.4e-7, and end up to 4 ulps apart (9.5e-7 with LibTorch
// 2.11, 3.6e-7 with 1.13): too near the bound to be a test.
constexpr SgdParams capt_sgd{
    .lr = 0.05, .momentum = 0.9, .nesterov = true, .weight_decay = 1e-2};
constexpr AdamWParams capt_adamw{.lr = 0.02, .weight_decay = 0.05};

} // namespace

TEST_CASE("train/capturable_optimizer: SGD (Nesterov, weight decay) over 50 cosine steps "
          "equals torch::optim::SGD") {
    auto const worst = capt_compare<torch::optim::SGD>(
        [](auto const& blocks) { return make_sgd(capt_sgd, blocks, true); },
        capt_sgd_options(capt_sgd), capt_sgd.lr);
    MESSAGE("SGD, largest difference: parameters "
            << worst.parameters << ", momentum (relative) " << worst.state);
    CHECK(worst.parameters <= 1e-6);
    CHECK(worst.state <= 1e-6);
}

TEST_CASE("train/capturable_optimizer: AdamW over 50 cosine steps equals "
          "torch::optim::AdamW") {
    auto const worst = capt_compare<torch::optim::AdamW>(
        [](auto const& blocks) { return make_adamw(capt_adamw, blocks, true); },
        capt_adamw_options(capt_adamw), capt_adamw.lr);
    MESSAGE("AdamW, largest difference: parameters "
            << worst.parameters << ", moments (relative) " << worst.state);
    CHECK(worst.parameters <= 1e-6);
    CHECK(worst.state <= 1e-6);
}

TEST_CASE("train/capturable_optimizer: the step reads the device rate, not the host "
          "option") {
    for (bool adamw : {false, true}) {
        CAPTURE(adamw);
        auto p = capt_parameters();
        auto blocks = capt_blocks(p);
        blocks[2].trainable_from = 1;
        auto built =
            adamw ? make_adamw(AdamWParams{.lr = 0.1, .weight_decay = 0}, blocks, true)
                  : make_sgd(
                      SgdParams{
                          .lr = 0.1, .momentum = 0, .nesterov = false, .weight_decay = 0},
                      blocks, true);
        auto& device = dynamic_cast<capturable_optimizer&>(*built.optimizer);
        built.set_lr(0.1);
        CHECK(host_value<double>(device.group_lr_tensor(1)) == doctest::Approx(0.05));
        for (auto& t : p)
            t.mutable_grad() = torch::ones_like(t);
        // Group 0 (W1): the host says 0.05, the device 0: W1 stays where it is.
        device.group_lr_tensor(0).fill_(0.0);
        // Group 1 (b1): the host says 0, the device 0.05: b1 moves by 0.05 (SGD's step is
        // the rate times the gradient, 1; AdamW's first step the rate times sign(1)).
        built.optimizer->param_groups()[1].options().set_lr(0.0);
        auto const w1 = p[0].detach().clone();
        auto const b1 = p[1].detach().clone();
        built.optimizer->step();
        CHECK(torch::equal(p[0], w1));
        CHECK(capt_max_abs(p[1], b1 - 0.05) < 1e-6);
    }
}

TEST_CASE("train/capturable_optimizer: steps read no host value") {
    for (bool adamw : {false, true}) {
        CAPTURE(adamw);
        auto p = capt_parameters();
        auto built = adamw ? make_adamw(capt_adamw, capt_blocks(p), true)
                           : make_sgd(capt_sgd, capt_blocks(p), true);
        auto gen = compat::make_cpu_generator(23);
        auto const before = host_reads();
        for (int step = 0; step < 20; ++step) {
            auto const x = torch::randn({8, 4}, gen);
            auto const y = torch::randn({8, 3}, gen);
            built.epoch = step / capt_steps_per_epoch + 1;
            built.set_lr(0.01 * (step + 1));
            capt_step(p, *built.optimizer, step, x, y);
        }
        CHECK(host_reads() == before);
    }
}

namespace {
//! The parameters as a module (the checkpoint keeps optimizer state by parameter name).
struct capt_module : torch::nn::Module {
    explicit capt_module(std::vector<torch::Tensor> const& ps) {
        for (std::size_t i = 0; i < ps.size(); ++i)
            register_parameter("p" + std::to_string(i), ps[i]);
    }
};
} // namespace

TEST_CASE("train/capturable_optimizer: AdamW's device step counts survive a checkpoint") {
    testing::temp_dir dir("pipeline-capturable");
    auto const path = dir.path / "checkpoint.safetensors";
    auto run = [&](std::vector<torch::Tensor>& p, built_optimizer& built, int from,
                   int to) {
        for (int step = from; step < to; ++step) {
            auto gen = compat::make_cpu_generator(100 + step);
            auto const x = torch::randn({8, 4}, gen);
            auto const y = torch::randn({8, 3}, gen);
            built.epoch = step / capt_steps_per_epoch + 1;
            built.set_lr(cosine_lr({}, capt_adamw.lr,
                                   {.step = step,
                                    .steps_per_epoch = capt_steps_per_epoch,
                                    .total_steps = capt_steps}));
            capt_step(p, *built.optimizer, step, x, y);
        }
    };
    auto whole = capt_parameters();
    auto whole_opt = make_adamw(capt_adamw, capt_blocks(whole), true);
    run(whole, whole_opt, 0, capt_steps);

    auto first = capt_parameters();
    auto first_opt = make_adamw(capt_adamw, capt_blocks(first), true);
    run(first, first_opt, 0, 15);
    checkpoint_info info;
    info.experiment = "capturable";
    info.epoch = 1;
    info.epochs = 5;
    info.step = 15;
    info.train_examples = 80;
    info.history.resize(1);
    capt_module first_module(first);
    save_checkpoint(path, info, first_module, *first_opt.optimizer, nullptr, {});

    auto resumed = capt_parameters();
    auto resumed_opt = make_adamw(capt_adamw, capt_blocks(resumed), true);
    capt_module resumed_module(resumed);
    auto const ck = read_checkpoint(path);
    restore_checkpoint(ck, resumed_module, *resumed_opt.optimizer, nullptr, {});
    // Steps as the device counted them: 15 for W1, 12 for the late S, 5 for Block2.
    CHECK(capt_state(*resumed_opt.optimizer, resumed[0]).second == 15);
    CHECK(capt_state(*resumed_opt.optimizer, resumed[3]).second == 12);
    CHECK(capt_state(*resumed_opt.optimizer, resumed[5]).second == 5);
    run(resumed, resumed_opt, 15, capt_steps);
    for (std::size_t i = 0; i < whole.size(); ++i)
        CHECK_MESSAGE(torch::equal(whole[i], resumed[i]), "parameter " << i);
    CHECK(capt_state(*resumed_opt.optimizer, resumed[3]).second == capt_steps - 3);
}
