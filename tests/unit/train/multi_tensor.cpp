// train/multi_tensor: the `_foreach_` steps of SGD and AdamW give the per-tensor
// optimizers' updates within 1e-6 and their state (momentum, moments, step counts) bit for
// bit, with a block joining mid-run (fewer steps). Not the parameters bit for bit: since
// the steps are capturable the rate is a device tensor, so `p -= lr * d` is a multiply and
// an add (two roundings) where LibTorch's `add_(d, -lr)` is one fused multiply-add. And as
// a ResNet with BatchNorm over 4 images turns a 1e-9 difference into 1e-3 within two
// steps, the multi-tensor model starts each step from the per-tensor model's parameters:
// what is compared is each step's update.
#include <algorithm>

#include <doctest/doctest.h>
#include <torch/torch.h>

#include <pipeline/all.hpp>

using namespace pipeline;

namespace {
template <class O>
void compare_steps() {
    auto const& P =
        model_spec_of<ModelStage<ResNet18, Frozen<Stem>, Unfreeze<Stem, AtEpoch<2>>,
                                 LrScale<Head, 3.0>, FreezeRandomInit>>;
    torch::manual_seed(4);
    auto a = make_backbone<ResNet18>({1, 10});
    torch::manual_seed(4);
    auto b = make_backbone<ResNet18>({1, 10});
    transfer_controller ta(P, *a), tb(P, *b);
    auto oa = optimizer_builder<O>::make(ta.blocks(), false);
    auto ob = optimizer_builder<O>::make(tb.blocks(), true);
    CHECK(!oa.multi_tensor);
    CHECK(ob.multi_tensor);
    auto gen = compat::make_cpu_generator(9);
    double worst = 0.0;
    for (int step = 0; step < 4; ++step) {
        int const epoch = step < 2 ? 1 : 2; // the stem joins at step 2
        auto x = torch::randn({4, 1, 28, 28}, gen);
        auto y = torch::randint(10, {4}, gen, torch::kInt64);
        auto one_step = [&](auto& model, auto& transfer, built_optimizer& opt) {
            transfer.enter_epoch(epoch);
            opt.epoch = epoch;
            model->train();
            opt.set_lr(0.01);
            auto loss = torch::cross_entropy_loss(transfer.forward(model, x), y);
            opt.optimizer->zero_grad();
            loss.backward();
            opt.optimizer->step();
        };
        one_step(a, ta, oa);
        one_step(b, tb, ob);
        auto pa = a->named_parameters();
        auto pb = b->named_parameters();
        torch::NoGradGuard no_grad;
        for (std::size_t i = 0; i < pa.size(); ++i) {
            auto const d = host_value<double>((pa[i].value() - pb[i].value()).abs().max());
            CHECK_MESSAGE(d <= 1e-6, pa[i].key() << " after step " << step);
            worst = std::max(worst, d);
            pb[i].value().copy_(pa[i].value());
        }
    }
    MESSAGE("largest difference of an update: " << worst);
    // The state: the same tensors, and the same step counts (AdamW's from the device).
    auto const& sa = oa.optimizer->state();
    auto const& sb = ob.optimizer->state();
    CHECK(sa.size() == sb.size());
    auto const device_steps = device_step_counts(*ob.optimizer);
    for (auto const& p : b->named_parameters()) {
        auto const ia =
            sa.find(compat::optimizer_state_key(a->named_parameters()[p.key()]));
        auto const ib = sb.find(compat::optimizer_state_key(p.value()));
        REQUIRE((ia == sa.end()) == (ib == sb.end()));
        if (ia == sa.end())
            continue;
        if (auto const* m =
                dynamic_cast<torch::optim::SGDParamState const*>(ia->second.get()))
            CHECK_MESSAGE(
                torch::equal(m->momentum_buffer(),
                             dynamic_cast<torch::optim::SGDParamState const&>(*ib->second)
                                 .momentum_buffer()),
                p.key());
        else {
            auto const& ma =
                dynamic_cast<torch::optim::AdamWParamState const&>(*ia->second);
            auto const& mb =
                dynamic_cast<torch::optim::AdamWParamState const&>(*ib->second);
            CHECK_MESSAGE(torch::equal(ma.exp_avg(), mb.exp_avg()), p.key());
            CHECK_MESSAGE(torch::equal(ma.exp_avg_sq(), mb.exp_avg_sq()), p.key());
            CHECK(ma.step() == mb.step());
            CHECK(ma.step() == device_steps.at(ib->second.get()));
        }
    }
    CHECK(!torch::equal(a->conv1->weight, [] {
        torch::manual_seed(4);
        return make_backbone<ResNet18>({1, 10})->conv1->weight;
    }()));
}
} // namespace

TEST_CASE(
    "train/multi_tensor: SGD with Nesterov momentum and weight decay, as LibTorch's") {
    compare_steps<SGD::with<{.lr = 0.01, .weight_decay = 1e-3}>>();
}

TEST_CASE("train/multi_tensor: AdamW with per-parameter step counts, as LibTorch's") {
    compare_steps<AdamW::with<{.lr = 0.01}>>();
}
