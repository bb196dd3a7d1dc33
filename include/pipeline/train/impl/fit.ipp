// The definition of `fit` (train/fit.hpp): compiled once in pipeline::core, or inline
// with the headers when header-only. Per-step work stays on the device; the host reads
// metrics once per epoch.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <pipeline/augment/augmenter.hpp>
#include <pipeline/augment/normalize.hpp>
#include <pipeline/compat.hpp>
#include <pipeline/data/batches.hpp>
#include <pipeline/data/load.hpp>
#include <pipeline/data/splits.hpp>
#include <pipeline/dsl/run_checks.hpp>
#include <pipeline/dsl/spec.hpp>
#include <pipeline/error.hpp>
#include <pipeline/io/atomic_file.hpp>
#include <pipeline/models/model.hpp>
#include <pipeline/parallel/distributed.hpp>
#include <pipeline/random.hpp>
#include <pipeline/record/checkpoint.hpp>
#include <pipeline/record/class_report.hpp>
#include <pipeline/record/export.hpp>
#include <pipeline/record/lr_find.hpp>
#include <pipeline/record/records.hpp>
#include <pipeline/record/run_log.hpp>
#include <pipeline/record/run_options.hpp>
#include <pipeline/record/seeds.hpp>
#include <pipeline/text.hpp>
#include <pipeline/train/fit.hpp>
#include <pipeline/train/run_context.hpp>
#include <pipeline/train/trainer.hpp>

namespace pipeline {

namespace detail {

//! A rule's message (dsl/run_checks.hpp) as the "found" part of a run-time error: without
//! the "pipeline: " its compile-time twin starts with ("expected ..., found the warm-up
//! of ...", not "found pipeline: the warm-up of ...").
inline std::string rule_text(std::string_view message) {
    constexpr std::string_view prefix = "pipeline: ";
    if (message.starts_with(prefix))
        message.remove_prefix(prefix.size());
    return std::string(message);
}

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

//! Reads the dataset of `e` and cuts it as `e` and the options say; a training split
//! smaller than one batch is an error.
inline run_splits read_splits(spec::experiment const& e, run_context const& ctx,
                              std::filesystem::path const& dir) {
    auto const& o = ctx.options;
    auto all = load_dataset(e.data, dir);
    // The sizes the type could not know (an ImageFolder's; a built-in dataset's copy cut
    // short), checked before any model work.
    if (auto const message = check_split_sizes(e, all.train.size(), o.limit))
        throw error("training set of " + e.data.name() + " in " + dir.string(),
                    "a split that Load and Train fit", rule_text(*message));
    return make_splits(std::move(all), {o.limit.value_or(e.data.subset), e.data.split,
                                        derive_seed(o.seed, "split"), o.eval_limit,
                                        derive_seed(o.seed, "clean-train")});
}

//! The splits on the run's device, normalised with `statistics` as batches are gathered,
//! evaluation batches through the Augment stages' deterministic part. Prints the data line.
inline experiment_data to_device(spec::experiment const& e, run_context const& ctx,
                                 std::filesystem::path const& dir, run_splits s,
                                 channel_statistics const& statistics) {
    normalizer const norm(statistics.mean, statistics.std, ctx.device);
    auto const view = evaluation_view(e.augmentations);
    // Execute<ChannelsLast>: each split laid out once, here, not each batch.
    auto const on_device = [&](labelled_images const& split) {
        auto d = split.to(ctx.device);
        return e.execution.channels_last ? d.channels_last() : d;
    };
    experiment_data data{device_batches(on_device(s.train), norm),
                         device_batches(on_device(s.val), norm, view),
                         device_batches(on_device(s.test), norm, view),
                         device_batches(on_device(s.clean_train), norm, view),
                         s.val_is_test,
                         std::move(s.test_names)};
    ctx.say(fmt::format(
        "data: {} from {} | train {} (clean subset {}) | {} {} | test {}\n", e.data.name(),
        dir.string(), data.train.size(), data.clean_train.size(),
        data.val_is_test ? "val (= test split; add Split<f> to hold out)" : "val",
        data.val.size(), data.test.size()));
    return data;
}

//! The model's parameters and buffers by state-dict name.
inline std::map<std::string, torch::Tensor> state_of(torch::nn::Module const& model) {
    std::map<std::string, torch::Tensor> state;
    for (auto const& p : model.named_parameters())
        state[p.key()] = p.value().detach();
    for (auto const& b : model.named_buffers())
        state[b.key()] = b.value().detach();
    return state;
}

//! The card of a model of experiment `e` trained on inputs normalised with `statistics`:
//! the experiment, the class names (the dataset type's, else `found` (an ImageFolder's
//! folders), else numbered) and the statistics; the caller adds results.
inline model_card card_of(spec::experiment const& e, std::string const& experiment,
                          channel_statistics const& statistics,
                          std::vector<std::string> const& found) {
    model_card card{experiment, {}, {}, {}, {}};
    if (!e.data.class_names.empty())
        card.class_names.assign(e.data.class_names.begin(), e.data.class_names.end());
    else if (static_cast<int>(found.size()) == e.data.classes)
        card.class_names = found;
    else
        for (int k = 0; k < e.data.classes; ++k)
            card.class_names.push_back("class " + std::to_string(k));
    card.mean = statistics.mean;
    card.std = statistics.std;
    return card;
}

//! The file a new best model is written to before the checkpoint that names its epoch;
//! it becomes best.safetensors once the checkpoint is in place (see save_epoch).
inline constexpr char const* best_next_file_name = "best.next.safetensors";

//! The file of one of the Train<{.keep_best}> best models: best-epoch-<N>.safetensors.
inline std::string kept_file_name(int epoch) {
    return "best-epoch-" + std::to_string(epoch) + ".safetensors";
}

//! The epoch a file name of kept_file_name's names, or 0.
inline int kept_file_epoch(std::string const& name) {
    constexpr std::string_view prefix = "best-epoch-", suffix = ".safetensors";
    if (name.size() <= prefix.size() + suffix.size() || !name.starts_with(prefix)
        || !name.ends_with(suffix))
        return 0;
    auto const digits =
        name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
    if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 9)
        return 0;
    return std::stoi(digits);
}

//! A testing hook for the order of a run directory's writes: with
//! PIPELINE_KILL_AFTER=<write>@<epoch> in the environment the process kills itself with
//! SIGKILL right after the first `write` ("records", "best.next", "checkpoint", "best",
//! "model", "summary") of an epoch at or after <epoch>, as a power cut would.
//! tests/resume/kill_resume.py resumes from each such point.
inline void kill_point(std::string_view write, int epoch) {
    static char const* const target = std::getenv("PIPELINE_KILL_AFTER");
    if (target == nullptr)
        return;
    std::string_view const t(target);
    auto const at = t.find('@');
    if (at == std::string_view::npos || t.substr(0, at) != write)
        return;
    if (epoch >= std::atoi(std::string(t.substr(at + 1)).c_str()))
        std::raise(SIGKILL);
}

//! The end of a run that trained every epoch: the test pass (the weight average's too),
//! model.safetensors (described by `card`), then summary.json; the checkpoint, needed
//! only to resume, goes last, so a run killed anywhere in between still resumes (and
//! finishes with the test pass) instead of losing its results. Returns the result.
inline run_result finish(spec::experiment const& e, run_context const& ctx, trainer& t,
                         run_log& log, experiment_data const& data, model_card card,
                         std::chrono::steady_clock::time_point started) {
    auto& result = log.result();
    auto const [test, average] = t.test();
    std::tie(result.test_loss, result.test_acc) = test;
    std::tie(result.ema_test_loss, result.ema_test_acc) = average;
    result.test_examples = data.test.size();
    if (t.has_average())
        ctx.say(fmt::format("ema test: loss {:.4f} | accuracy {} (Ema<{}>)\n",
                            result.ema_test_loss, percent(result.ema_test_acc),
                            format_number(e.model.ema_decay)));
    if (e.tta.active()) {
        std::tie(result.tta_test_loss, result.tta_test_acc) = t.tta_test();
        ctx.say(fmt::format("tta test: loss {:.4f} | accuracy {} ({} views: {:+.2f} points "
                            "over the single view)\n",
                            result.tta_test_loss, percent(result.tta_test_acc),
                            e.tta.views(),
                            100.0 * (result.tta_test_acc - result.test_acc)));
    }
    result.state = state_of(t.model().module());
    result.seconds = seconds_since(started);
    ctx.say(fmt::format("test: loss {:.4f} | accuracy {} on {} images | {:.1f} s in all\n",
                        result.test_loss, percent(result.test_acc), result.test_examples,
                        result.seconds));
    if (auto const dir = log.dir()) {
        auto const& last_record = result.history.back();
        auto const& last = last_record.metrics;
        auto const& best = result.history[result.best_epoch - 1].metrics;
        nlohmann::json summary{{"device", ctx.device.str()},
                               {"torch", compat::torch_version()},
                               {"seed", ctx.options.seed},
                               {"epochs", ctx.epochs},
                               {"epochs_trained", last.epoch},
                               {"train_examples", data.train.size()},
                               {"val_examples", data.val.size()},
                               {"val_is_test", data.val_is_test},
                               {"test_examples", result.test_examples},
                               {"test_loss", result.test_loss},
                               {"test_acc", result.test_acc},
                               {"seconds", result.seconds},
                               {"final_epoch", last},
                               {"best_epoch", best},
                               {"gap", last.gap()}};
        // What the test pass got wrong, class by class.
        auto const report = make_class_report(t.test_predictions(), card.class_names);
        write_file_atomically(*dir / "report.md", report_markdown(report, card.experiment));
        write_file_atomically(*dir / "confusion.svg",
                              confusion_svg(report, "test split: " + card.experiment));
        summary["macro_f1"] = report.macro_f1;
        // What else changed the numbers (an --epochs, --limit or --eval-limit of a smoke
        // run), as the seeds summaries record it: the directory alone says how it was run.
        summary["options"] = nlohmann::json::object();
        for (auto const& [flag, value] : result_options(ctx.options))
            summary["options"][flag.substr(2)] = value;
        summary["command_line"] =
            "--seed " + std::to_string(ctx.options.seed) + result_flags(ctx.options);
        if (ctx.resume)
            summary["resumed_from"] = ctx.resume->path.string();
        if (e.tta.active())
            summary["tta"] = {
                {"views", e.tta.views()},
                {"flip", e.tta.flip},
                {"shift", e.tta.shift},
                {"val_acc", last_record.tta_val.size() == 2 ? last_record.tta_val[1] : 0.0},
                {"test_loss", result.tta_test_loss},
                {"test_acc", result.tta_test_acc},
                {"test_acc_delta", result.tta_test_acc - result.test_acc}};
        if (!result.early_stop.empty())
            summary["early_stop"] = {{"after_epoch", last.epoch},
                                     {"patience", e.train.patience},
                                     {"min_delta", e.train.min_delta},
                                     {"reason", result.early_stop}};
        if (e.train.keep_best > 1) {
            nlohmann::json kept = nlohmann::json::array();
            for (int epoch : best_epochs(result.history, e.train.keep_best))
                kept.push_back(
                    nlohmann::json{{"epoch", epoch},
                                   {"val_acc", result.history[epoch - 1].metrics.val_acc},
                                   {"file", kept_file_name(epoch)}});
            summary["kept_models"] = kept;
        }
        if (t.has_average())
            summary["ema"] = {{"decay", e.model.ema_decay},
                              {"test_loss", result.ema_test_loss},
                              {"test_acc", result.ema_test_acc}};
        if (ctx.options.save_weights) {
            card.results = {{"test_loss", fmt::format("{}", result.test_loss)},
                            {"test_acc", fmt::format("{}", result.test_acc)},
                            {"test_examples", std::to_string(result.test_examples)},
                            {"epoch", std::to_string(result.history.back().metrics.epoch)}};
            export_model(*dir / "model.safetensors", t.model().module(), card);
            kill_point("model", result.history.back().metrics.epoch);
        }
        log.finish(summary);
        kill_point("summary", result.history.back().metrics.epoch);
        if (ctx.options.save_weights) {
            std::error_code ec;
            std::filesystem::remove(*dir / checkpoint_file_name, ec);
        }
    }
    return result;
}

//! A data-parallel run's global batch must split into `shards` equal shards of at least
//! two examples (every backbone has BatchNorm, which in training needs more than one
//! value per channel: shards of one died at step 1 in LibTorch's message), and each shard
//! into Train<{.accumulate}> equal micro-batches of at least two.
inline void check_shards(int batch_size, int shards, bool emulated, int accumulate = 1) {
    auto const where =
        emulated
            ? fmt::format("--emulate-ranks {} with Train<{{.batch_size = {}}}>", shards,
                          batch_size)
            : fmt::format("Train<{{.batch_size = {}}}> over {} ranks", batch_size, shards);
    if (batch_size % shards != 0)
        throw error(
            where,
            "a global batch divisible by the number of ranks (each takes an equal "
            "shard)",
            fmt::format("a remainder of {}; pick a batch size that is a multiple of {}",
                        batch_size % shards, shards));
    if (shards > 1 && batch_size / shards < 2)
        throw error(
            where,
            "shards of at least 2 examples (BatchNorm needs more than one value per "
            "channel to train)",
            fmt::format("shards of {} example; use at most {} ranks, or a batch of at "
                        "least {}",
                        batch_size / shards, batch_size / 2, 2 * shards));
    auto const shard = batch_size / shards;
    if (accumulate > 1 && (shard % accumulate != 0 || shard / accumulate < 2))
        throw error(
            fmt::format("Train<{{.batch_size = {}, .accumulate = {}}}>{}", batch_size,
                        accumulate,
                        shards > 1 ? fmt::format(" over {} ranks", shards) : std::string()),
            fmt::format("{} equal micro-batches of at least 2 examples in each batch of "
                        "{} (BatchNorm needs more than one value per channel)",
                        accumulate, shard),
            shard % accumulate != 0
                ? fmt::format("a remainder of {}", shard % accumulate)
                : fmt::format("micro-batches of {}; accumulate at most {}",
                              shard / accumulate, shard / 2));
}

//! `best.safetensors`: the model after its best epoch by validation accuracy so far.
inline void save_best(std::filesystem::path const& path, torch::nn::Module const& model,
                      epoch_metrics const& m, model_card card) {
    card.results = {{"epoch", std::to_string(m.epoch)},
                    {"val_acc", fmt::format("{}", m.val_acc)},
                    {"val_loss", fmt::format("{}", m.val_loss)}};
    export_model(path, model, card);
}

//! The weights an epoch leaves in the run directory, in an order that any interruption
//! leaves recoverable: a new best model first under best.next.safetensors (and, with
//! Train<{.keep_best = k}>, an epoch among the k best as best-epoch-<N>.safetensors), then
//! the checkpoint (which names the best epochs in its history), then the rename to
//! best.safetensors and the removal of the kept models that are no longer among the k
//! best. Killed before the checkpoint, the previous checkpoint and the files agree (a
//! new best-epoch file is one too many, never one too few); killed after it,
//! best.next.safetensors holds the best epoch the checkpoint names (carry_best picks it
//! up).
inline void save_epoch(std::filesystem::path const& dir, trainer const& t, int epoch,
                       run_log const& log, bool best, epoch_metrics const& m,
                       model_card const& card, int keep_best) {
    auto const& history = log.result().history;
    if (best) {
        save_best(dir / best_next_file_name, t.model().module(), m, card);
        kill_point("best.next", epoch);
    }
    auto const kept = best_epochs(history, keep_best);
    bool const keep = keep_best > 1 && std::ranges::find(kept, epoch) != kept.end();
    if (keep)
        save_best(dir / kept_file_name(epoch), t.model().module(), m, card);
    t.save_checkpoint(dir / checkpoint_file_name, epoch, history);
    kill_point("checkpoint", epoch);
    if (best) {
        std::filesystem::rename(dir / best_next_file_name, dir / "best.safetensors");
        kill_point("best", epoch);
    }
    if (keep_best > 1)
        for (auto const& entry : std::filesystem::directory_iterator(dir)) {
            auto const n = kept_file_epoch(entry.path().filename().string());
            if (n != 0 && std::ranges::find(kept, n) == kept.end())
                std::filesystem::remove(entry.path());
        }
}

//! A resumed run's best.safetensors: the file beside the checkpoint holding the best epoch
//! its history names (best.safetensors, or best.next.safetensors when the run was
//! stopped between the checkpoint and the rename), copied into the new run directory.
//! Files that disagree with the checkpoint are refused rather than carried over.
inline void carry_best(std::filesystem::path const& from, std::filesystem::path const& to,
                       int best_epoch) {
    std::string found;
    for (auto const* name : {best_next_file_name, "best.safetensors"}) {
        auto const path = from / name;
        if (!std::filesystem::exists(path))
            continue;
        auto const file = read_safetensors(path);
        auto const epoch = file.metadata.find("epoch");
        auto const text =
            epoch == file.metadata.end() ? "no epoch" : "epoch " + epoch->second;
        if (text == "epoch " + std::to_string(best_epoch)) {
            std::filesystem::copy_file(path, to / "best.safetensors",
                                       std::filesystem::copy_options::overwrite_existing);
            return;
        }
        found += (found.empty() ? "" : " and ") + std::string(name) + " of " + text;
    }
    throw error("--resume " + from.string(),
                "best.safetensors of epoch " + std::to_string(best_epoch)
                    + " beside the checkpoint (its best epoch so far)",
                found.empty() ? "none" : found);
}

//! A resumed run's Train<{.keep_best}> models: best-epoch-<N>.safetensors of each of the
//! best epochs the checkpoint's history names, copied into the new run directory; a file
//! that is missing or holds another epoch is refused.
inline void carry_kept(std::filesystem::path const& from, std::filesystem::path const& to,
                       std::vector<int> const& epochs) {
    for (int epoch : epochs) {
        auto const path = from / kept_file_name(epoch);
        std::string found = "none";
        if (std::filesystem::exists(path)) {
            auto const file = read_safetensors(path);
            auto const it = file.metadata.find("epoch");
            if (it != file.metadata.end() && it->second == std::to_string(epoch)) {
                std::filesystem::copy_file(
                    path, to / kept_file_name(epoch),
                    std::filesystem::copy_options::overwrite_existing);
                continue;
            }
            found = it == file.metadata.end() ? "a file without an epoch"
                                              : "a file of epoch " + it->second;
        }
        throw error("--resume " + from.string(),
                    kept_file_name(epoch) + " beside the checkpoint (one of its "
                        + std::to_string(epochs.size())
                        + " best epochs, Train<{.keep_best}>)",
                    found);
    }
}

//! What a trainer is built from: the run's data on its device, the statistics that
//! normalise it, the class folders found and the pretrained weights (if any).
struct prepared_run {
    experiment_data data;
    channel_statistics statistics;
    std::vector<std::string> class_names;
    std::optional<weights_file> weights;
};

//! The data, then the weights, whose statistics (if any) normalise it instead of the
//! dataset's; a Normalize<mean, std> stage overrides both.
inline prepared_run prepare(spec::experiment const& e, run_context const& ctx,
                            run_options const& options) {
    auto const dir = locate_dataset(e.data, options.data_dir);
    auto splits = read_splits(e, ctx, dir);
    // Class names go into summary.json and the model's metadata (JSON: UTF-8 only): a
    // folder name that is not UTF-8 is refused now, not after training.
    for (auto const& name : splits.class_names)
        if (!valid_utf8(name))
            throw error(dir.string() + ": class folder '" + escaped_bytes(name) + "'",
                        "a class name in UTF-8 (class names are written into summary.json "
                        "and the model's metadata, which hold UTF-8 text only)",
                        "bytes that are not UTF-8: rename the folder");
    auto weights = pretrained_weights(e.model, options.weights_dir);
    auto const statistics = pipeline_statistics(
        e.augmentations,
        weights ? input_statistics(*weights, e.data.channels) : dataset_statistics(e.data));
    auto class_names = splits.class_names;
    auto data = to_device(e, ctx, dir, std::move(splits), statistics);
    return {std::move(data), statistics, std::move(class_names), std::move(weights)};
}

} // namespace detail

PIPELINE_DECL run_result fit(spec::experiment const& e, run_options const& options) {
    auto const started = std::chrono::steady_clock::now();
    // A launched job (torchrun, a shell loop): rank 0 writes, every rank trains.
    auto const env = read_launch_environment();
    auto const rank_options = options_for_rank(options, env);
    auto const ctx =
        start_run(rank_options, e.describe(), e.train.epochs, env, e.distributed);
    detail::check_shards(e.train.batch_size, ctx.shards, ctx.dist->world() == 1,
                         e.train.accumulate);
    // An --epochs override the stages do not fit (a warm-up, a Step decay or an Unfreeze
    // outside the run) stops here, before any data is read.
    if (auto const message = check_run_length(e, ctx.epochs))
        throw error("--epochs " + std::to_string(ctx.epochs),
                    "a run the pipeline's stages fit in", detail::rule_text(*message));
    // So does a number format the device has no autocast for (FP16 on the CPU).
    check_precision(e.precision, ctx.device);

    auto const prepared = detail::prepare(e, ctx, options);
    auto const& data = prepared.data;
    auto const card =
        detail::card_of(e, ctx.experiment, prepared.statistics, prepared.class_names);
    trainer t(e, ctx, data, prepared.weights ? &*prepared.weights : nullptr);
    run_log log(ctx.options, ctx.experiment, ctx.epochs, block_names(e.model.backbone),
                experiment_tag(e.data.name(), e.model.backbone.name(), ctx.experiment));
    int first_epoch = 1;
    if (ctx.resume) {
        first_epoch = t.restore(*ctx.resume);
        log.resumed(*ctx.resume);
        // The best epoch so far may lie before the interruption: its weights come along.
        if (auto const run_dir = log.dir(); run_dir && options.save_weights) {
            detail::carry_best(ctx.resume->path.parent_path(), *run_dir,
                               log.result().best_epoch);
            if (e.train.keep_best > 1)
                detail::carry_kept(ctx.resume->path.parent_path(), *run_dir,
                                   best_epochs(log.result().history, e.train.keep_best));
        }
    }

    log.header();
    for (int epoch = first_epoch; epoch <= ctx.epochs; ++epoch) {
        auto const t0 = std::chrono::steady_clock::now();
        auto record = t.train_epoch(epoch);
        log.require_finite(record);
        t.validate(record);
        record.metrics.seconds = detail::seconds_since(t0);
        bool const best = log.add(record);
        detail::kill_point("records", epoch);
        if (auto const run_dir = log.dir(); run_dir && options.save_weights)
            detail::save_epoch(*run_dir, t, epoch, log, best, record.metrics, card,
                               e.train.keep_best);
        if (options.stop_after && epoch >= *options.stop_after && epoch < ctx.epochs)
            return log.stop(epoch, detail::state_of(t.model().module()));
        if (epoch < ctx.epochs) {
            if (auto const reason = early_stop_reason(
                    log.result().history, e.train.patience, e.train.min_delta)) {
                ctx.say(fmt::format("early stop after epoch {} of {}: {}; the schedule "
                                    "spans all {} epochs, so the rate stopped at {:.4g}\n",
                                    epoch, ctx.epochs, *reason, ctx.epochs,
                                    record.metrics.lr));
                log.result().early_stop = *reason;
                break;
            }
        }
    }
    return detail::finish(e, ctx, t, log, data, card, started);
}

PIPELINE_DECL lr_finding find_lr(spec::experiment const& e, run_options const& options) {
    auto const& sweep = options.lr_sweep;
    check_lr_find_options(sweep);
    auto const env = read_launch_environment();
    auto const ctx = start_run(options, e.describe(), e.train.epochs, env, e.distributed);
    if (ctx.dist->active())
        throw error("--find-lr in a job of " + std::to_string(ctx.dist->world()) + " ranks",
                    "one process (the sweep follows one model's loss; --emulate-ranks N "
                    "sweeps with the arithmetic of N ranks)",
                    "WORLD_SIZE=" + std::to_string(env.world) + " set by a launcher");
    detail::check_shards(e.train.batch_size, ctx.shards, true, e.train.accumulate);
    auto const prepared = detail::prepare(e, ctx, options);
    trainer t(e, ctx, prepared.data, prepared.weights ? &*prepared.weights : nullptr);
    ctx.say(fmt::format("learning-rate finder: {} steps from {:.3g} to {:.3g} (stops when "
                        "the smoothed loss passes {} x its lowest)\n",
                        sweep.steps, sweep.start_lr, sweep.end_lr, sweep.divergence));
    auto finding = t.find_lr(sweep);
    auto const text = lr_find_markdown(finding);
    if (!options.out_dir.empty()) {
        std::filesystem::create_directories(options.out_dir);
        auto const stem =
            claim_new_stem(options.out_dir / ("lr-find-" + experiment_hash(ctx.experiment)),
                           {".md", ".csv", ".svg"});
        write_file_atomically(stem.string() + ".md", text);
        write_file_atomically(stem.string() + ".csv", lr_find_csv(finding));
        write_file_atomically(stem.string() + ".svg", lr_find_svg(finding));
        finding.files = stem;
    }
    ctx.say("\n" + text
            + (finding.files.empty()
                   ? std::string()
                   : "\nwritten: " + finding.files.string() + ".md, .csv, .svg\n"));
    return finding;
}

} // namespace pipeline
