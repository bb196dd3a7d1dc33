// bench/overhead: the DSL's per-step overhead. One ResNet-18 (CifarStem, 10 classes,
// 3x32x32 inputs) trained on the same synthetic batch two ways, alternating in one
// process: by the library's own training step (`trainer::step`, what `fit` runs for every
// batch) and by the loop LibTorch's C++ examples write by hand (zero_grad, forward,
// cross_entropy, backward, torch::optim::SGD::step). Same module code, same initial
// weights, same hyperparameters. Prints one Markdown table: each side's median step time
// and images/s, and the median over rounds of the per-round ratio DSL / hand-written.
//
//   bench_overhead [--batch 64] [--rounds 8] [--steps-per-round 10] [--warmup 3 (>= 1)]
//                  [--threads N (default: every core)] [--device cpu] [--json FILE]
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <string>
#include <type_traits>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <pipeline/all.hpp>

#include "synthetic.hpp"

using namespace pipeline;

namespace {

// The DSL side. The Optimizer stage's hyperparameters are the hand-written side's
// torch::optim::SGD options below; Train's batch size only sizes the trainer's (unused)
// epoch bookkeeping: both sides step on the --batch batch.
// clang-format off
constexpr auto experiment = Load<CIFAR10>
                          | Model<ResNet18, CifarStem>
                          | Loss<CrossEntropy>
                          | Optimizer<SGD, {.lr = 0.05, .momentum = 0.9, .nesterov = true, .weight_decay = 5e-4}>
                          | Schedule<Constant>
                          | Train<{.epochs = 1, .batch_size = 64}>;
// clang-format on
using Experiment = std::remove_cv_t<decltype(experiment)>;

constexpr double lr = 0.05;
constexpr double momentum = 0.9;
constexpr double weight_decay = 5e-4;

double milliseconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
        .count();
}

//! `to`'s parameters and buffers set to `from`'s, name by name (the same module type:
//! every name must be there with its shape).
void copy_state(torch::nn::Module const& from, torch::nn::Module& to) {
    torch::NoGradGuard no_grad;
    auto const copy = [](auto const& source, auto const& target, char const* what) {
        if (source.size() != target.size())
            throw pipeline::error(std::string("bench_overhead: copying ") + what,
                                  std::to_string(source.size()) + " tensors",
                                  std::to_string(target.size()));
        for (auto const& item : target) {
            auto const* s = source.find(item.key());
            if (s == nullptr || !s->sizes().equals(item.value().sizes()))
                throw pipeline::error(
                    std::string("bench_overhead: copying ") + what,
                    item.key() + " of the same shape in the trainer's model",
                    s == nullptr ? "no such tensor" : pipeline::detail::shape_text(*s));
            item.value().copy_(*s);
        }
    };
    copy(from.named_parameters(), to.named_parameters(), "parameters");
    copy(from.named_buffers(), to.named_buffers(), "buffers");
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"bench_overhead: the DSL's training step vs a hand-written LibTorch loop"};
    std::int64_t batch = 64;
    int rounds = 8;
    int steps_per_round = 10;
    int warmup = 3;
    int threads = 0;
    std::string device_name = "cpu";
    std::string json_file;
    app.add_option("--batch", batch, "images per step")->check(CLI::Range(2, 1 << 16));
    app.add_option("--rounds", rounds, "rounds; each times both sides")
        ->check(CLI::Range(1, 1 << 20));
    app.add_option("--steps-per-round", steps_per_round,
                   "steps of each side per round (DSL first, then hand-written)")
        ->check(CLI::Range(1, 1 << 20));
    app.add_option("--warmup", warmup,
                   "untimed steps of each side before the rounds (the first one also "
                   "checks that both start from the same loss)")
        ->check(CLI::Range(1, 1 << 20));
    app.add_option("--threads", threads, "intra-op CPU threads (0: every core)")
        ->check(CLI::Range(0, max_threads()));
    app.add_option("--device", device_name, "cpu, cuda, cuda:N (each step synchronised)");
    app.add_option("--json", json_file, "also write the figures and every step's time");
    CLI11_PARSE(app, argc, argv);

    // The run as fit starts it: thread count, device. Its lines and the trainer's (model,
    // plan) go to stderr; stdout holds the table.
    run_options options;
    options.device = device_name;
    options.threads = threads;
    options.out_dir.clear();
    options.log = &std::cerr;
    auto const& e = spec_of<Experiment>;
    auto const ctx = start_run(options, e.describe(), e.train.epochs);
    auto const device = ctx.device;

    // One synthetic batch of CIFAR-10's shape, made once on the CPU, normalised as fit's
    // batches are (device_batches), then used by both sides for every step.
    auto const data = bench::synthetic_data(e, device, batch);
    training_batch const tb = bench::whole_batch(data, device);
    auto const x = tb.x;
    auto const y = tb.y;

    // (a) The DSL: the trainer fit builds, stepped on the prepared batch.
    trainer t(e, ctx, data, nullptr);
    t.model().module().train();

    // (b) By hand: the same module type, options and initial weights; torch::optim::SGD
    // with one group, as LibTorch's examples build it.
    models::resnet_options ro;
    ro.in_channels = 3;
    ro.num_classes = bench::classes;
    ro.cifar_stem = true;
    models::ResNet model(ro);
    model->to(device);
    copy_state(t.model().module(), *model);
    model->train();
    auto const sgd =
        torch::optim::SGDOptions(lr).momentum(momentum).nesterov(true).weight_decay(
            weight_decay);
    torch::optim::SGD optimizer(model->parameters(), sgd);

    running_metrics running(device);
    auto const dsl_step = [&] {
        t.step(tb, running);
        compat::synchronize(device);
    };
    torch::Tensor hand_loss;
    auto const hand_step = [&] {
        optimizer.zero_grad();
        auto out = model->forward(x);
        auto loss = torch::nn::functional::cross_entropy(out, y);
        loss.backward();
        optimizer.step();
        hand_loss = loss.detach();
        compat::synchronize(device);
    };

    // The first step of each from the same weights on the same batch: the same loss.
    dsl_step();
    hand_step();
    auto const first_dsl = running.read().first;
    auto const first_hand = hand_loss.item<double>();
    for (int i = 1; i < warmup; ++i) {
        dsl_step();
        hand_step();
    }

    std::vector<double> dsl_ms, hand_ms, ratios;
    for (int r = 0; r < rounds; ++r) {
        double dsl_sum = 0.0, hand_sum = 0.0;
        for (int i = 0; i < steps_per_round; ++i) {
            auto const t0 = std::chrono::steady_clock::now();
            dsl_step();
            dsl_ms.push_back(milliseconds_since(t0));
            dsl_sum += dsl_ms.back();
        }
        for (int i = 0; i < steps_per_round; ++i) {
            auto const t0 = std::chrono::steady_clock::now();
            hand_step();
            hand_ms.push_back(milliseconds_since(t0));
            hand_sum += hand_ms.back();
        }
        ratios.push_back(dsl_sum / hand_sum);
    }
    auto const dsl_median = bench::median(dsl_ms);
    auto const hand_median = bench::median(hand_ms);
    auto const ratio = bench::median(ratios);
    auto const rate = [batch](double ms) {
        return 1000.0 * static_cast<double>(batch) / ms;
    };
    auto const last_loss = running.read().first;

    std::cout << fmt::format(
        "bench_overhead: ResNet-18 (CifarStem) | 10 classes | 3x32x32 synthetic batch "
        "of {} | {} rounds x {} steps per side (after {} warm-up) | device {} | {} "
        "thread{} | LibTorch {}\n\n",
        batch, rounds, steps_per_round, warmup, device.str(), ctx.threads,
        ctx.threads == 1 ? "" : "s", compat::torch_version());
    std::cout << "| side | median step (ms) | images/s |\n| --- | ---: | ---: |\n";
    std::cout << fmt::format("| DSL (`trainer::step`) | {:.2f} | {:.1f} |\n", dsl_median,
                             rate(dsl_median));
    std::cout << fmt::format("| hand-written LibTorch loop | {:.2f} | {:.1f} |\n",
                             hand_median, rate(hand_median));
    std::cout << fmt::format("| ratio DSL / hand-written (median of {} round{}; target "
                             "<= 1.02) | {:.3f} | |\n",
                             rounds, rounds == 1 ? "" : "s", ratio);
    std::cout << fmt::format("\nfirst-step loss from the same weights: DSL {:.6f} | "
                             "hand-written {:.6f}; mean DSL loss over all steps {:.4f}\n",
                             first_dsl, first_hand, last_loss);

    if (!json_file.empty()) {
        nlohmann::json j{
            {"benchmark", "bench_overhead"},
            {"model", "ResNet-18, CifarStem, 10 classes, 3x32x32"},
            {"torch", compat::torch_version()},
            {"device", device.str()},
            {"threads", ctx.threads},
            {"batch", batch},
            {"rounds", rounds},
            {"steps_per_round", steps_per_round},
            {"warmup", warmup},
            {"dsl",
             {{"median_step_ms", dsl_median},
              {"images_per_second", rate(dsl_median)},
              {"step_ms", dsl_ms}}},
            {"hand_written",
             {{"median_step_ms", hand_median},
              {"images_per_second", rate(hand_median)},
              {"step_ms", hand_ms}}},
            {"round_ratios", ratios},
            {"ratio_median", ratio},
            {"first_step_loss", {{"dsl", first_dsl}, {"hand_written", first_hand}}}};
        std::ofstream(json_file) << j.dump(2) << "\n";
    }
    return 0;
}
