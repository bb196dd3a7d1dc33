// The training loop, expanded from a pipeline type: `fit(experiment, options)` resolves
// the stages at compile time (dataset, backbone, loss, optimizer, schedule, settings) and
// runs them on the chosen device. Per-step work stays on the device; the host reads
// metrics once per epoch.
#pragma once

#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <pipeline/augment/augmenter.hpp>
#include <pipeline/augment/normalize.hpp>
#include <pipeline/compat.hpp>
#include <pipeline/data/batches.hpp>
#include <pipeline/data/cifar10.hpp>
#include <pipeline/data/dataset.hpp>
#include <pipeline/data/fashion_mnist.hpp>
#include <pipeline/data/image_folder.hpp>
#include <pipeline/dsl.hpp>
#include <pipeline/error.hpp>
#include <pipeline/io/safetensors.hpp>
#include <pipeline/models/backbone.hpp>
#include <pipeline/models/model.hpp>
#include <pipeline/random.hpp>
#include <pipeline/train/checkpoint.hpp>
#include <pipeline/train/ema.hpp>
#include <pipeline/train/loss.hpp>
#include <pipeline/train/optimizer.hpp>
#include <pipeline/train/plan.hpp>
#include <pipeline/train/results.hpp>
#include <pipeline/train/schedule.hpp>
#include <pipeline/train/transfer.hpp>

namespace pipeline {

//! The environment of a run: everything that is not part of the experiment itself.
struct run_options {
    //! "cpu", "cuda", "cuda:N" or "auto" (CUDA when available).
    std::string device = "auto";
    std::optional<std::filesystem::path> data_dir;
    //! Where Pretrained<...> looks for weights (default: $PIPELINE_WEIGHTS_DIR, then
    //! ~/.cache/pipeline/weights).
    std::optional<std::filesystem::path> weights_dir;
    //! Each run writes a new directory under this one; empty disables writing.
    std::filesystem::path out_dir = "runs";
    std::uint64_t seed = 0;
    //! Overrides Train<{.epochs}> (smoke runs).
    std::optional<int> epochs;
    //! Overrides Load<D, Subset<N>>: train on the first N examples.
    std::optional<std::int64_t> limit;
    //! Evaluate on the first N validation and test examples only (smoke runs).
    std::optional<std::int64_t> eval_limit;
    //! Intra-op CPU threads; 0 uses every core.
    int threads = 0;
    //! Continue the run whose checkpoint (or run directory) this is, in a new run
    //! directory; the result equals the uninterrupted run's.
    std::optional<std::filesystem::path> resume;
    //! End the run after this epoch, as an interruption would (checkpoint kept, no test).
    std::optional<int> stop_after;
    //! Where the epoch table goes; nullptr keeps quiet.
    std::ostream* log = &std::cout;
};

//! What a finished run reports.
struct run_result {
    std::string experiment;
    std::vector<epoch_metrics> epochs;
    double test_loss = 0.0;
    double test_acc = 0.0;
    std::int64_t test_examples = 0;
    std::filesystem::path run_dir;
    double seconds = 0.0;
    //! The backbone's blocks and, per epoch, each block's rate at the epoch's last step.
    std::vector<std::string> blocks;
    std::vector<std::vector<double>> block_lrs;
    //! Trainable parameters in each epoch.
    std::vector<std::int64_t> trainable;
    //! With Ema<decay>: the average's validation (loss, accuracy) per epoch and its test
    //! result.
    std::vector<std::pair<double, double>> ema_val;
    double ema_test_loss = 0.0;
    double ema_test_acc = 0.0;
    //! The final model's parameters and buffers by state-dict name.
    std::map<std::string, torch::Tensor> state;
};

//! Picks the device named by `spec`; a CUDA request without CUDA is an error, not a
//! silent fallback.
inline torch::Device select_device(std::string const& spec) {
    if (spec == "auto")
        return compat::cuda_available() ? torch::Device(torch::kCUDA, 0)
                                        : torch::Device(torch::kCPU);
    if (spec == "cpu")
        return torch::Device(torch::kCPU);
    if (spec.rfind("cuda", 0) == 0) {
        if (!compat::cuda_available())
            throw error("--device " + spec, "a CUDA device",
                        "none (this LibTorch " + compat::torch_version()
                            + " has no CUDA or no GPU is visible); use --device cpu");
        return torch::Device(spec);
    }
    throw error("--device", "cpu, cuda, cuda:N or auto", "'" + spec + "'");
}

namespace detail {

//! Sums of loss and correct predictions, kept on the device until read.
struct running_metrics {
    torch::Tensor loss_sum;
    torch::Tensor correct;
    std::int64_t seen = 0;

    explicit running_metrics(torch::Device const& device)
        : loss_sum(
            torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat64).device(device)))
        , correct(torch::zeros(
              {}, torch::TensorOptions().dtype(torch::kInt64).device(device))) {}

    void add(torch::Tensor const& mean_loss, torch::Tensor const& logits,
             torch::Tensor const& labels) {
        auto n = labels.size(0);
        loss_sum.add_(mean_loss.detach().to(torch::kFloat64) * static_cast<double>(n));
        correct.add_(logits.detach().argmax(1).eq(labels).sum());
        seen += n;
    }

    //! Reads both sums (the one host synchronisation of an epoch).
    [[nodiscard]] std::pair<double, double> read() const {
        if (seen == 0)
            return {0.0, 0.0};
        return {loss_sum.item<double>() / static_cast<double>(seen),
                static_cast<double>(correct.item<std::int64_t>())
                    / static_cast<double>(seen)};
    }
};

//! Clips the global gradient norm without reading it on the host (LibTorch's
//! clip_grad_norm_ returns a double, which synchronises every step).
inline void clip_grad_norm(std::vector<torch::Tensor> const& params, double max_norm) {
    std::vector<torch::Tensor> norms;
    for (auto const& p : params)
        if (p.grad().defined())
            norms.push_back(p.grad().detach().norm(2));
    if (norms.empty())
        return;
    auto total = torch::stack(norms).norm(2);
    auto coef = (max_norm / (total + 1e-6)).clamp_max(1.0);
    for (auto const& p : params)
        if (p.grad().defined())
            p.grad().detach().mul_(coef);
}

template <class Module>
std::pair<double, double> evaluate(Module& model, device_batches const& data,
                                   std::int64_t batch_size) {
    torch::NoGradGuard no_grad;
    model->eval();
    running_metrics m(data.data().labels.device());
    for (std::int64_t i = 0, n = data.count(batch_size, false); i < n; ++i) {
        auto b = data.get(i, batch_size);
        auto logits = model->forward(b.x);
        m.add(evaluation_loss(logits, b.y), logits, b.y);
    }
    return m.read();
}

inline std::string percent(double fraction) {
    return fmt::format("{:.2f}%", 100.0 * fraction);
}

} // namespace detail

//! Writes the trained model as a plain state dict (torchvision's / timm's names), readable
//! by `Pretrained<File<"...">>` and by Python's `safetensors.torch.load_file`, with what
//! produced it in the metadata: the experiment's printed form, the test metrics, the class
//! count and the input statistics the model expects.
template <std::size_t C>
void export_model(std::filesystem::path const& path, torch::nn::Module const& model,
                  run_result const& result,
                  std::pair<std::array<double, C>, std::array<double, C>> const& statistics,
                  int classes) {
    auto const csv = [](std::array<double, C> const& values) {
        std::string out;
        for (double v : values)
            out += (out.empty() ? "" : ",") + detail::format_number(v);
        return out;
    };
    std::vector<named_tensor> tensors;
    detail::add_module_tensors(tensors, "", model);
    write_safetensors(path, tensors,
                      {{"format", "pt"},
                       {"experiment", result.experiment},
                       {"classes", std::to_string(classes)},
                       {"mean", csv(statistics.first)},
                       {"std", csv(statistics.second)},
                       {"test_loss", fmt::format("{}", result.test_loss)},
                       {"test_acc", fmt::format("{}", result.test_acc)},
                       {"test_examples", std::to_string(result.test_examples)}});
}

//! Trains the experiment `P` and evaluates it on the test set.
template <class... S>
run_result fit(Pipeline<S...>, run_options const& options = {}) {
    static_assert(validate(Pipeline<S...>{}));
    using P = resolved_t<Pipeline<S...>>;
    using load = stage_t<stage_kind::load, P>;
    using D = typename load::dataset;
    using M = stage_t<stage_kind::model, P>;
    using B = typename M::backbone;
    using Plan = typename M::transfer;
    using L = typename stage_t<stage_kind::loss, P>::loss;
    using O = typename stage_t<stage_kind::optimizer, P>::optimizer;
    using Sched = typename stage_t<stage_kind::schedule, P>::schedule;
    constexpr TrainParams train = stage_t<stage_kind::train, P>::params;

    auto const started = std::chrono::steady_clock::now();
    auto say = [&](std::string const& line) {
        if (options.log)
            *options.log << line << std::flush;
    };

    run_result result;
    result.experiment = describe(P{});
    int const threads =
        options.threads > 0
            ? options.threads
            : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    torch::set_num_threads(threads);
    auto const device = select_device(options.device);
    int const epochs = options.epochs.value_or(train.epochs);
    if (epochs < 1)
        throw error("--epochs", "at least 1", std::to_string(epochs));
    std::optional<loaded_checkpoint> resume;
    if (options.resume) {
        resume.emplace(read_checkpoint(*options.resume));
        check_resumable(resume->info, result.experiment, options.seed, epochs);
    }

    say(fmt::format("experiment: {}\n", result.experiment));
    say(fmt::format("device: {} | torch {} | {} CPU thread{} | seed {}\n", device.str(),
                    compat::torch_version(), threads, threads == 1 ? "" : "s",
                    options.seed));

    // Data: read once, cut to the subset, hold out the validation split, move to device.
    auto const dir = dataset_loader<D>::locate(options.data_dir);
    auto splits = dataset_loader<D>::load(dir);
    std::int64_t keep = options.limit.value_or(load::subset);
    if (options.limit && *options.limit < 1)
        throw error("--limit", "at least 1 training example",
                    std::to_string(*options.limit));
    if (keep > 0 && keep < splits.train.size())
        splits.train = splits.train.first(keep);
    labelled_images val = splits.test;
    bool const val_is_test = load::split == 0.0;
    if (!val_is_test) {
        auto gen = compat::make_cpu_generator(derive_seed(options.seed, "split"));
        auto order = torch::randperm(splits.train.size(), gen, torch::kInt64);
        auto n_val = static_cast<std::int64_t>(
            std::llround(load::split * static_cast<double>(splits.train.size())));
        n_val = std::clamp<std::int64_t>(n_val, 1, splits.train.size() - 1);
        val = splits.train.select(order.narrow(0, 0, n_val));
        splits.train =
            splits.train.select(order.narrow(0, n_val, splits.train.size() - n_val));
    }
    auto test = splits.test;
    if (options.eval_limit) {
        val = val.first(std::min(*options.eval_limit, val.size()));
        test = test.first(std::min(*options.eval_limit, test.size()));
    }
    if (splits.train.size() < train.batch_size)
        throw error("training set of " + D::name(),
                    "at least one batch of " + std::to_string(train.batch_size)
                        + " examples",
                    std::to_string(splits.train.size()));
    // Statistics by precedence: an explicit Normalize stage, the pretrained weights'
    // (they were trained on inputs normalised that way), the dataset's.
    auto const weights = pretrained_weights<M>(options.weights_dir);
    auto const [mean, stdev] =
        weights ? input_statistics<D::channels>(*weights) : std::pair{D::mean, D::std};
    normalizer const norm = pipeline_normalizer<P>(device, mean, stdev);
    augmenter<P> augment(device, options.seed, D::classes);
    device_batches const train_data(splits.train.to(device), norm);
    device_batches const val_data(val.to(device), norm, augment.eval_view());
    device_batches const test_data(test.to(device), norm, augment.eval_view());
    say(fmt::format("data: {} from {} | train {} | {} {} | test {}\n", D::name(),
                    dir.string(), train_data.size(),
                    val_is_test ? "val (= test split; add Split<f> to hold out)" : "val",
                    val_data.size(), test_data.size()));

    // Model and optimizer.
    torch::manual_seed(derive_seed(options.seed, "model"));
    auto model =
        make_model<M>(D::channels, D::classes, weights ? &*weights : nullptr, options.log);
    model->to(device);
    transfer_controller<B, Plan> transfer(*model);
    auto opt = optimizer_builder<O>::make(transfer.blocks());
    auto const params = model->parameters();
    say(fmt::format("model: {} ({} in, {} classes) | {} trainable parameters at epoch 1 | "
                    "{} optimizer step\n",
                    B::name(), D::channels, D::classes, transfer.trainable_parameters(1),
                    opt.multi_tensor ? "multi-tensor (_foreach_)" : "per-tensor"));
    say(format_plan(B::name(), transfer.blocks(), epochs,
                    optimizer_builder<O>::weight_decay, Plan::bn_train_when_frozen));
    result.blocks = block_names<B>();

    std::optional<run_recorder> recorder;
    if (!options.out_dir.empty()) {
        recorder.emplace(make_run_dir(options.out_dir, options.seed), result.experiment);
        result.run_dir = recorder->dir();
        say(fmt::format("results: {}\n", recorder->dir().string()));
    }
    // Ema<decay>: a second model of the same architecture, evaluated on its own.
    std::optional<decltype(make_model<M>(D::channels, D::classes, nullptr, nullptr))>
        ema_model;
    std::optional<weight_average> ema;
    std::string ema_csv = "epoch,val_loss,val_acc\n";
    if constexpr (Plan::ema_decay > 0.0) {
        // Building the copy draws initial weights; put the process-wide stream back so
        // that adding Ema changes nothing else the run draws.
        auto cpu = compat::default_cpu_generator();
        auto const saved = compat::generator_state(cpu);
        ema_model.emplace(make_model<M>(D::channels, D::classes, nullptr, nullptr));
        compat::set_generator_state(cpu, saved);
        (*ema_model)->to(device);
        ema.emplace(*model, **ema_model, Plan::ema_decay);
    }
    std::optional<lr_log> lrs;
    if (recorder)
        lrs.emplace(recorder->dir() / "lrs.csv", transfer.blocks());

    auto shuffle_gen = compat::make_generator(device, derive_seed(options.seed, "shuffle"));
    schedule_clock clock;
    clock.steps_per_epoch = train_data.count(train.batch_size, /*drop_last=*/true);
    clock.total_steps = clock.steps_per_epoch * epochs;

    int first_epoch = 1;
    nlohmann::json history = nlohmann::json::array();
    if (resume) {
        if (resume->info.train_examples != train_data.size())
            throw error("--resume " + resume->path.string(),
                        std::to_string(resume->info.train_examples) + " training examples",
                        std::to_string(train_data.size()) + " (use the run's --limit)");
        restore_checkpoint(*resume, *model, *opt.optimizer,
                           ema_model ? ema_model->get() : nullptr, shuffle_gen);
        first_epoch = resume->info.epoch + 1;
        clock.step = resume->info.step;
        history = resume->info.history;
        for (auto const& h : history) {
            auto const m = detail::metrics_from_json(h.at("metrics"));
            result.epochs.push_back(m);
            auto const block_lrs = h.at("block_lrs").get<std::vector<double>>();
            result.block_lrs.push_back(block_lrs);
            result.trainable.push_back(h.at("trainable").get<std::int64_t>());
            if (recorder)
                recorder->record(m);
            if (lrs)
                lrs->record(m.epoch, m.lr, block_lrs);
            if (h.contains("ema_val")) {
                auto const ev = h.at("ema_val").get<std::pair<double, double>>();
                result.ema_val.push_back(ev);
                ema_csv += fmt::format("{},{:.6f},{:.6f}\n", m.epoch, ev.first, ev.second);
            }
        }
        say(fmt::format("resumed from {} after epoch {} (step {})\n", resume->path.string(),
                        resume->info.epoch, resume->info.step));
    }
    bool stopped = false;

    say(fmt::format("{:>5} {:>10} {:>9} {:>9} {:>8} {:>8} {:>9} {:>7}\n", "epoch",
                    "train_loss", "train_acc", "val_loss", "val_acc", "gap", "lr", "sec"));
    for (int epoch = first_epoch; epoch <= epochs; ++epoch) {
        auto const t0 = std::chrono::steady_clock::now();
        transfer.enter_epoch(epoch);
        opt.epoch = epoch;
        model->train();
        transfer.apply_batchnorm_modes();
        detail::running_metrics running(device);
        auto const order = train_data.shuffled_order(shuffle_gen);
        double lr = 0.0;
        for (std::int64_t i = 0; i < clock.steps_per_epoch; ++i, ++clock.step) {
            lr = scheduled_lr<Sched>(opt.base_lr, clock);
            opt.set_lr(lr);
            auto b = augment.train(train_data.get(order, i, train.batch_size));
            auto logits = transfer.forward(model, b.x);
            auto loss = loss_function<L>::compute(logits, b.target);
            opt.optimizer->zero_grad();
            loss.backward();
            if constexpr (train.clip_grad_norm > 0.0)
                detail::clip_grad_norm(params, train.clip_grad_norm);
            opt.optimizer->step();
            if (ema)
                ema->update();
            running.add(loss, logits, b.y);
        }
        epoch_metrics m;
        m.epoch = epoch;
        m.lr = lr;
        std::vector<double> block_lrs;
        for (auto const& blk : transfer.blocks())
            block_lrs.push_back(blk.frozen_at(epoch) ? 0.0 : lr * blk.lr_factor);
        result.block_lrs.push_back(block_lrs);
        result.trainable.push_back(transfer.trainable_parameters(epoch));
        if (lrs)
            lrs->record(epoch, lr, block_lrs);
        std::tie(m.train_loss, m.train_acc) = running.read();
        if (!std::isfinite(m.train_loss))
            throw error(
                "epoch " + std::to_string(epoch) + " of " + result.experiment,
                "a finite training loss",
                fmt::format("{} (lower the learning rate or clip gradients with "
                            "Train<{{.clip_grad_norm = 1}}>); earlier epochs are in {}",
                            m.train_loss,
                            recorder ? recorder->dir().string() : "the log above"));
        std::tie(m.val_loss, m.val_acc) =
            detail::evaluate(model, val_data, train.eval_batch_size);
        m.seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        result.epochs.push_back(m);
        if (recorder)
            recorder->record(m);
        say(fmt::format("{:>5} {:>10.4f} {:>9} {:>9.4f} {:>8} {:>8} {:>9.5f} {:>7.1f}\n",
                        epoch, m.train_loss, detail::percent(m.train_acc), m.val_loss,
                        detail::percent(m.val_acc), detail::percent(m.gap()), m.lr,
                        m.seconds));
        if (ema) {
            auto ev = detail::evaluate(*ema_model, val_data, train.eval_batch_size);
            result.ema_val.push_back(ev);
            say(fmt::format("{:>5} {:>10} {:>9} {:>9.4f} {:>8}\n", "", "ema", "", ev.first,
                            detail::percent(ev.second)));
            ema_csv += fmt::format("{},{:.6f},{:.6f}\n", epoch, ev.first, ev.second);
            if (recorder)
                write_atomically(recorder->dir() / "ema.csv", ema_csv);
        }
        nlohmann::json h{{"metrics", detail::to_json(m)},
                         {"block_lrs", result.block_lrs.back()},
                         {"trainable", result.trainable.back()}};
        if (ema)
            h["ema_val"] = result.ema_val.back();
        history.push_back(h);
        if (recorder)
            save_checkpoint(recorder->dir() / checkpoint_file_name,
                            {result.experiment, options.seed, epoch, epochs, clock.step,
                             train_data.size(), history},
                            *model, *opt.optimizer, ema_model ? ema_model->get() : nullptr,
                            shuffle_gen);
        if (options.stop_after && epoch >= *options.stop_after && epoch < epochs) {
            stopped = true;
            say(fmt::format("stopped after epoch {} (--stop-after); resume with --resume "
                            "{}\n",
                            epoch,
                            recorder ? recorder->dir().string() : "(no run directory)"));
            break;
        }
    }
    for (auto const& p : model->named_parameters())
        result.state[p.key()] = p.value().detach();
    for (auto const& b : model->named_buffers())
        result.state[b.key()] = b.value().detach();
    if (stopped) {
        if (recorder)
            recorder->finish({{"stopped_after_epoch", result.epochs.back().epoch},
                              {"epochs", epochs},
                              {"seed", options.seed},
                              {"checkpoint", checkpoint_file_name}});
        return result;
    }

    std::tie(result.test_loss, result.test_acc) =
        detail::evaluate(model, test_data, train.eval_batch_size);
    result.test_examples = test_data.size();
    if (ema) {
        std::tie(result.ema_test_loss, result.ema_test_acc) =
            detail::evaluate(*ema_model, test_data, train.eval_batch_size);
        say(fmt::format("ema test: loss {:.4f} | accuracy {} (Ema<{}>)\n",
                        result.ema_test_loss, detail::percent(result.ema_test_acc),
                        detail::format_number(Plan::ema_decay)));
    }
    for (auto const& p : model->named_parameters())
        result.state[p.key()] = p.value().detach();
    for (auto const& b : model->named_buffers())
        result.state[b.key()] = b.value().detach();
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    say(fmt::format("test: loss {:.4f} | accuracy {} on {} images | {:.1f} s in all\n",
                    result.test_loss, detail::percent(result.test_acc),
                    result.test_examples, result.seconds));
    if (recorder) {
        nlohmann::json summary{{"device", device.str()},
                               {"torch", compat::torch_version()},
                               {"seed", options.seed},
                               {"epochs", epochs},
                               {"train_examples", train_data.size()},
                               {"val_examples", val_data.size()},
                               {"val_is_test", val_is_test},
                               {"test_examples", result.test_examples},
                               {"test_loss", result.test_loss},
                               {"test_acc", result.test_acc},
                               {"seconds", result.seconds}};
        if (resume)
            summary["resumed_from"] = resume->path.string();
        summary["final_epoch"] = {{"train_loss", result.epochs.back().train_loss},
                                  {"train_acc", result.epochs.back().train_acc},
                                  {"val_loss", result.epochs.back().val_loss},
                                  {"val_acc", result.epochs.back().val_acc}};
        if (ema)
            summary["ema"] = {{"decay", Plan::ema_decay},
                              {"test_loss", result.ema_test_loss},
                              {"test_acc", result.ema_test_acc}};
        export_model(recorder->dir() / "model.safetensors", *model, result,
                     pipeline_statistics<P>(mean, stdev), D::classes);
        recorder->finish(summary);
    }
    return result;
}

} // namespace pipeline
