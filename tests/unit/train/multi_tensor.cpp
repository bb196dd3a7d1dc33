// train/multi_tensor: the `_foreach_` steps of SGD and AdamW give the per-tensor
// optimizers' parameters and state bit for bit, with a block joining mid-run (fewer steps).
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
    }
    auto pa = a->named_parameters();
    auto pb = b->named_parameters();
    for (std::size_t i = 0; i < pa.size(); ++i)
        CHECK_MESSAGE(torch::equal(pa[i].value(), pb[i].value()), pa[i].key());
    CHECK(oa.optimizer->state().size() == ob.optimizer->state().size());
    CHECK(!torch::equal(a->conv1->weight, [] {
        torch::manual_seed(4);
        return make_backbone<ResNet18>({1, 10})->conv1->weight;
    }()));
}
} // namespace

TEST_CASE("train/multi_tensor: SGD with Nesterov momentum and weight decay, bit for bit") {
    compare_steps<SGD::with<{.lr = 0.01, .weight_decay = 1e-3}>>();
}

TEST_CASE("train/multi_tensor: AdamW with per-parameter step counts, bit for bit") {
    compare_steps<AdamW::with<{.lr = 0.01}>>();
}
