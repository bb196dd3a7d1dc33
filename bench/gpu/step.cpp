// bench/gpu/step: images/s of examples/cifar10_fast.cpp's training step, the library's
// against a hand-written LibTorch loop, on one synthetic batch that lives on the device.
// ResNet-18 with CifarStem, 10 classes, 3x32x32, batch 512, SGD (lr 0.4, momentum 0.9,
// Nesterov, weight decay 5e-4), cross-entropy with label smoothing 0.1. Four sides,
// alternating round by round in one process, the device synchronised only at each round's
// ends (a step that syncs inside is slower, and that is what is measured):
//
//   dsl-fp32    the trainer (`trainer::step`, fit's call per batch), float32, contiguous
//   dsl-eager   ... with Precision<BF16> and Execute<ChannelsLast>
//   dsl-graph   ... and CudaGraph: eager warm-up steps, then the step captured and replayed
//   hand        bf16 autocast + channels-last written by hand: zero_grad, forward,
//               cross_entropy, backward, torch::optim::SGD::step (what a LibTorch user
//               writes for the same recipe)
//
// Prints a Markdown table (median images/s over rounds; ratio to `hand`) and with --json
// every round's figure. bench/gpu/run.sh runs it beside bench/gpu/reference.py. On a
// CPU (--device cpu, a smoke run) CudaGraph runs the step eagerly and says so.
//
//   bench_gpu_step [--device cuda] [--batch 512] [--steps 50] [--rounds 5] [--warmup 5]
//                  [--sides dsl-fp32,dsl-eager,dsl-graph,hand] [--json FILE]
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <pipeline/all.hpp>

#include "../synthetic.hpp"

using namespace pipeline;

namespace {

// The three library sides: one stage apart each. Train's batch size only sizes the
// trainer's epoch bookkeeping; every side steps on the --batch batch.
// clang-format off
constexpr auto fp32 = Load<CIFAR10>
                    | Model<ResNet18, CifarStem>
                    | Loss<SmoothedCE<0.1>>
                    | Optimizer<SGD, {.lr = 0.4, .momentum = 0.9, .nesterov = true, .weight_decay = 5e-4}>
                    | Schedule<Constant>
                    | Train<{.epochs = 1, .batch_size = 512}>;
constexpr auto eager = fp32
                     | Precision<BF16>
                     | Execute<ChannelsLast>;
constexpr auto graph = fp32
                     | Precision<BF16>
                     | Execute<ChannelsLast, CudaGraph>;
// clang-format on

constexpr double lr = 0.4;

//! One side: steps on its batch; `last_loss` reads its latest loss (after the rounds).
struct side {
    std::string name;
    std::string what;
    std::function<void()> step;
    std::function<double()> last_loss;
    torch::Device device{torch::kCPU};
    std::vector<double> rates;
};

//! Run options of a benchmark side: `device`, no run directory, the run's lines to stderr.
run_options side_options(std::string const& device_name) {
    run_options options;
    options.device = device_name;
    options.out_dir.clear();
    options.log = &std::cerr;
    return options;
}

//! A library side: the trainer fit builds for `e`, stepped on the batch.
std::unique_ptr<side> dsl_side(std::string name, std::string what,
                               spec::experiment const& e, std::string const& device_name,
                               std::int64_t batch) {
    auto ctx = std::make_shared<run_context>(
        start_run(side_options(device_name), e.describe(), 1));
    auto data = std::make_shared<experiment_data>(
        bench::synthetic_data(e, ctx->device, batch, e.execution.channels_last));
    auto const tb = bench::whole_batch(*data, ctx->device);
    auto t = std::make_shared<trainer>(e, *ctx, *data, nullptr);
    t->model().module().train();
    auto running = std::make_shared<running_metrics>(ctx->device);
    auto s = std::make_unique<side>();
    s->name = std::move(name);
    s->what = std::move(what);
    s->device = ctx->device;
    s->step = [ctx, data, t, running, tb] { t->step(tb, *running); };
    s->last_loss = [t, tb] {
        // The loss of one more step on the batch (a read; after the timed rounds).
        running_metrics one(tb.x.device());
        t->step(tb, one);
        return one.read().first;
    };
    return s;
}

//! The hand-written side: the library's ResNet module (the same module code), bf16
//! autocast and channels-last set by hand, torch::optim::SGD with one group.
std::unique_ptr<side> hand_side(spec::experiment const& e, torch::Device device,
                                std::int64_t batch) {
    models::resnet_options ro;
    ro.in_channels = 3;
    ro.num_classes = bench::classes;
    ro.cifar_stem = true;
    auto model = std::make_shared<models::ResNet>(ro);
    (*model)->to(device);
    to_channels_last(**model);
    (*model)->train();
    auto optimizer = std::make_shared<torch::optim::SGD>(
        (*model)->parameters(),
        torch::optim::SGDOptions(lr).momentum(0.9).nesterov(true).weight_decay(5e-4));
    auto const data = bench::synthetic_data(e, device, batch, /*channels_last=*/true);
    auto const tb = bench::whole_batch(data, device);
    auto loss = std::make_shared<torch::Tensor>();
    auto s = std::make_unique<side>();
    s->name = "hand";
    s->device = device;
    s->what = "hand-written LibTorch loop, bf16 autocast + channels-last";
    s->step = [model, optimizer, tb, loss, type = device.type()] {
        optimizer->zero_grad();
        compat::set_autocast_enabled(type, true);
        compat::set_autocast_dtype(type, torch::kBFloat16);
        auto const out = (*model)->forward(tb.x);
        auto l = torch::nn::functional::cross_entropy(
            out, tb.y,
            torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(0.1));
        compat::set_autocast_enabled(type, false);
        at::autocast::clear_cache();
        l.backward();
        optimizer->step();
        *loss = l.detach();
    };
    s->last_loss = [loss] { return loss->item<double>(); };
    return s;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "bench_gpu_step: cifar10_fast's training step, the library's sides against "
        "a hand-written LibTorch loop"};
    std::string device_name = "cuda";
    std::int64_t batch = 512;
    int steps = 50;
    int rounds = 5;
    int warmup = 5;
    std::vector<std::string> names{"dsl-fp32", "dsl-eager", "dsl-graph", "hand"};
    std::string json_file;
    app.add_option("--device", device_name, "cuda, cuda:N; cpu for a smoke run");
    app.add_option("--batch", batch, "images per step")->check(CLI::Range(2, 1 << 16));
    app.add_option("--steps", steps, "steps per side per round")
        ->check(CLI::Range(1, 1 << 20));
    app.add_option("--rounds", rounds, "rounds; each times every side")
        ->check(CLI::Range(1, 1 << 20));
    app.add_option("--warmup", warmup,
                   "untimed steps of each side first (CudaGraph captures after its 3 "
                   "eager steps, so at least 4 leaves dsl-graph replaying)")
        ->check(CLI::Range(1, 1 << 20));
    app.add_option("--sides", names, "which sides, comma-separated")
        ->delimiter(',')
        ->check(CLI::IsMember({"dsl-fp32", "dsl-eager", "dsl-graph", "hand"}));
    app.add_option("--json", json_file, "also write the figures and every round's");
    CLI11_PARSE(app, argc, argv);

    auto const& e32 = spec_of<std::remove_cv_t<decltype(fp32)>>;
    auto const& ebf = spec_of<std::remove_cv_t<decltype(eager)>>;
    auto const& egr = spec_of<std::remove_cv_t<decltype(graph)>>;
    std::vector<std::unique_ptr<side>> sides;
    for (auto const& n : names) {
        if (n == "dsl-fp32")
            sides.push_back(
                dsl_side(n, "library, float32, contiguous", e32, device_name, batch));
        else if (n == "dsl-eager")
            sides.push_back(dsl_side(n, "library, Precision<BF16> + Execute<ChannelsLast>",
                                     ebf, device_name, batch));
        else if (n == "dsl-graph")
            sides.push_back(
                dsl_side(n, "library, Precision<BF16> + Execute<ChannelsLast, CudaGraph>",
                         egr, device_name, batch));
        else {
            sides.push_back(hand_side(
                e32, start_run(side_options(device_name), e32.describe(), 1).device,
                batch));
        }
    }
    if (sides.empty())
        throw error("bench_gpu_step --sides", "at least one side", "none");
    auto const device = sides.front()->device;

    auto const t_setup = std::chrono::steady_clock::now();
    for (auto& s : sides)
        for (int i = 0; i < warmup; ++i)
            s->step();
    compat::synchronize(device);
    auto const setup_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t_setup).count();

    for (int r = 0; r < rounds; ++r)
        for (auto& s : sides) {
            compat::synchronize(device);
            auto const t0 = std::chrono::steady_clock::now();
            for (int i = 0; i < steps; ++i)
                s->step();
            compat::synchronize(device);
            auto const secs =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
                    .count();
            s->rates.push_back(static_cast<double>(steps * batch) / secs);
        }

    std::map<std::string, double> rate;
    for (auto const& s : sides)
        rate[s->name] = bench::median(s->rates);
    std::cout << fmt::format(
        "bench_gpu_step: ResNet-18 (CifarStem) | batch {} | {} rounds x {} steps per side "
        "(after {} warm-up, {:.1f} s) | device {} | LibTorch {}\n\n",
        batch, rounds, steps, warmup, setup_seconds, device.str(), compat::torch_version());
    std::cout
        << "| side | what | images/s (median of rounds) | ratio to hand | loss after |\n"
           "| --- | --- | ---: | ---: | ---: |\n";
    nlohmann::json j{{"benchmark", "bench_gpu_step"},
                     {"model", "ResNet-18, CifarStem, 10 classes, 3x32x32"},
                     {"torch", compat::torch_version()},
                     {"device", device.str()},
                     {"batch", batch},
                     {"steps", steps},
                     {"rounds", rounds},
                     {"warmup", warmup},
                     {"setup_seconds", setup_seconds}};
    for (auto const& s : sides) {
        auto const loss = s->last_loss();
        auto const ratio = rate.count("hand") ? rate[s->name] / rate["hand"] : 0.0;
        std::cout << fmt::format(
            "| {} | {} | {:.0f} | {} | {:.4f} |\n", s->name, s->what, rate[s->name],
            rate.count("hand") ? fmt::format("{:.3f}", ratio) : "—", loss);
        j["sides"][s->name] = {{"what", s->what},
                               {"images_per_second", rate[s->name]},
                               {"round_images_per_second", s->rates},
                               {"loss_after", loss}};
    }
    if (!json_file.empty())
        std::ofstream(json_file) << j.dump(2) << "\n";
    return 0;
}
