// The state of a training run and the one place each part of a step happens: the model
// shaped and loaded as the Model stage says, its optimizer with per-block groups, the
// transfer plan applied epoch by epoch, the weight average, the Augment stages' random
// streams and the epoch shuffle. `step` is the training step (forward, loss, backward,
// update): mixed precision, graph capture and distributed reduction belong there.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <torch/torch.h>

#include <pipeline/augment/augmenter.hpp>
#include <pipeline/compat.hpp>
#include <pipeline/data/batches.hpp>
#include <pipeline/dsl/spec.hpp>
#include <pipeline/error.hpp>
#include <pipeline/host_read.hpp>
#include <pipeline/io/crc32c.hpp>
#include <pipeline/models/model.hpp>
#include <pipeline/parallel/distributed.hpp>
#include <pipeline/random.hpp>
#include <pipeline/record/checkpoint.hpp>
#include <pipeline/record/lr_find.hpp>
#include <pipeline/record/progress.hpp>
#include <pipeline/record/records.hpp>
#include <pipeline/train/cuda_graph.hpp>
#include <pipeline/train/ema.hpp>
#include <pipeline/train/evaluate.hpp>
#include <pipeline/train/execution.hpp>
#include <pipeline/train/loss.hpp>
#include <pipeline/train/optimizer.hpp>
#include <pipeline/train/plan.hpp>
#include <pipeline/train/precision.hpp>
#include <pipeline/train/run_context.hpp>
#include <pipeline/train/schedule.hpp>
#include <pipeline/train/transfer.hpp>

namespace pipeline {

//! The splits of a run on its device, ready to serve batches.
struct experiment_data {
    device_batches train;
    device_batches val;
    device_batches test;
    //! A fixed subset of the training split, the size of the validation split, evaluated
    //! like it (clean, evaluation mode) after every epoch: the train side of the gap.
    device_batches clean_train;
    //! No Split<f>: the validation columns are measured on the test split.
    bool val_is_test = true;
    //! The test examples' files, where the dataset names them (run_splits::test_names).
    std::vector<std::string> test_names = {};
};

//! Trains the model of experiment `e` epoch by epoch on `data`.
class trainer {
public:
    //! Builds the model (its initial weights drawn from the stream "model", then
    //! `weights` loaded if any), the optimizer and the weight average; prints the model
    //! line and the transfer plan. `e` must outlive the trainer.
    trainer(spec::experiment const& e, run_context const& ctx, experiment_data const& data,
            weights_file const* weights)
        : e_(e)
        , train_(e.train)
        , ctx_(ctx)
        , data_(data)
        , model_(seeded_model(e, ctx, weights))
        , transfer_(e.model, model_->module())
        , opt_(make_optimizer(e.optimizer, transfer_.blocks()))
        , loss_(e.loss)
        , params_(model_->module().parameters())
        , augment_(e.augmentations, ctx.device, augment_seed(ctx), e.data.classes)
        , shuffle_(
              compat::make_generator(ctx.device, derive_seed(ctx.options.seed, "shuffle")))
        , reducer_(*ctx.dist, e.ddp.bucket_mb)
        , scaler_(e.precision, ctx.device)
        , graph_(captures_step(e, ctx), ctx.device, e.execution.graph_warmup) {
        check_precision(e.precision, ctx.device);
        auto const backbone = e.model.backbone.name();
        // Every rank starts from rank 0's weights (they agree already when drawn from the
        // same seed; loaded weights and buffers must agree too).
        if (ctx.dist->active())
            ctx.dist->broadcast(model_tensors(), "initial broadcast of the model");
        ctx.say(fmt::format(
            "model: {} ({} in, {} classes) | {} trainable parameters at epoch 1 | {} "
            "optimizer step\n",
            backbone, e.data.channels, e.data.classes, transfer_.trainable_parameters(1),
            opt_.multi_tensor ? "multi-tensor (_foreach_)" : "per-tensor"));
        ctx.say(format_plan(backbone, transfer_.blocks(), ctx.epochs,
                            e.optimizer.weight_decay, e.model.bn_train_when_frozen));
        if (e.execution.channels_last || e.execution.deterministic
            || e.execution.cuda_graph)
            ctx.say(fmt::format(
                "execution: {}{}{}\n",
                e.execution.channels_last
                    ? "channels-last parameters, buffers and batches (NHWC strides)"
                    : "contiguous (NCHW)",
                e.execution.deterministic
                    ? "; cuDNN deterministic, benchmark mode off"
                    : (ctx.device.is_cuda() ? "; cuDNN benchmark mode on" : ""),
                e.execution.cuda_graph ? "; " + graph_line(e, ctx) : std::string()));
        if (e.precision.autocast())
            ctx.say(fmt::format(
                "precision: {} autocast on {} for forward, loss and evaluation (weights, "
                "gradients, optimizer state and the loss in float32){}\n",
                precision_name(e.precision), ctx.device.str(),
                scaler_.enabled()
                    ? fmt::format("; dynamic loss scale from {} (x{} after {} clean steps, "
                                  "x{} and the step skipped on an inf/NaN gradient)",
                                  detail::format_number(e.precision.scaler.init_scale),
                                  detail::format_number(e.precision.scaler.growth_factor),
                                  e.precision.scaler.growth_interval,
                                  detail::format_number(e.precision.scaler.backoff_factor))
                    : std::string()));
        if (e.model.ema_decay > 0.0) {
            // Building the copy draws initial weights; put the process-wide stream back so
            // that adding Ema changes nothing else the run draws.
            auto cpu = compat::default_cpu_generator();
            auto const saved = compat::generator_state(cpu);
            ema_model_ =
                make_model(e.model, e.data.channels, e.data.classes, nullptr, nullptr);
            compat::set_generator_state(cpu, saved);
            ema_model_->module().to(ctx.device);
            if (e.execution.channels_last)
                to_channels_last(ema_model_->module());
            ema_.emplace(model_->module(), ema_model_->module(), e.model.ema_decay);
        }
        // Every rank draws the same permutation and takes its slice of each global batch;
        // the last partial batch is dropped on every rank alike.
        clock_.steps_per_epoch = data.train.count(train_.batch_size, /*drop_last=*/true);
        if (ctx.shards > 1)
            ctx.say(fmt::format(
                "data-parallel: global batch {} = {} shards of {} | {} steps per epoch | "
                "gradients all-reduced in buckets of {} MiB during backward\n",
                train_.batch_size, ctx.shards, train_.batch_size / ctx.shards,
                clock_.steps_per_epoch, detail::format_number(e.ddp.bucket_mb)));
        clock_.total_steps = clock_.steps_per_epoch * ctx.epochs;
        if (ema_)
            ctx.say(fmt::format(
                "ema: Ema<{}> warms up as timm's (decay 1 - (1 + step)^(-2/3), at most "
                "{}), "
                "reaching it after {} steps; this run takes {}, ending at decay {:.4g}\n",
                detail::format_number(e.model.ema_decay),
                detail::format_number(e.model.ema_decay),
                detail::thousands(ema_->warmup_steps()),
                detail::thousands(clock_.total_steps),
                ema_->decay_at(std::max<std::int64_t>(clock_.total_steps - 1, 0))));
    }

    //! One pass over the training split: the transfer plan's state for `epoch`, a fresh
    //! shuffle, a scheduled rate and a step per batch. Returns the epoch's record with its
    //! training figures and rates (the validation figures come from `evaluate`).
    epoch_record train_epoch(int epoch) {
        transfer_.enter_epoch(epoch);
        // The trainable set may have changed (a staged unfreeze): bucket it afresh, the
        // same way on every rank. Frozen parameters get no hook and no bucket.
        if (ctx_.dist->active()) {
            auto const before = reducer_.parameters();
            reducer_.rebuild(params_);
            if (reducer_.parameters() != before)
                ctx_.say(fmt::format("data-parallel: epoch {}: {} trainable tensors in {} "
                                     "buckets (frozen ones are never all-reduced)\n",
                                     epoch, reducer_.parameters(), reducer_.buckets()));
        }
        opt_.epoch = epoch;
        model_->module().train();
        transfer_.apply_batchnorm_modes();
        if (graph_.capturing() && graph_.expect(trainable_set()))
            ctx_.say(fmt::format("cuda graph: epoch {}: the trainable set changed ({} "
                                 "trainable parameters): {} eager steps, then the step is "
                                 "captured again\n",
                                 epoch, transfer_.trainable_parameters(epoch),
                                 graph_.eager_steps_left()));
        running_metrics running(ctx_.device);
        epoch_progress progress(ctx_.options.log, epoch, clock_.steps_per_epoch,
                                train_.batch_size);
        auto const t0 = std::chrono::steady_clock::now();
        auto const order = data_.train.shuffled_order(shuffle_);
        double lr = 0.0;
        for (std::int64_t i = 0; i < clock_.steps_per_epoch; ++i, ++clock_.step) {
            lr = scheduled_lr(e_.schedule, opt_.base_lr, clock_);
            opt_.set_lr(lr);
            if (ctx_.dist->active()) {
                auto const shard = data_.train.get_shard(order, i, train_.batch_size,
                                                         ctx_.dist->rank(), ctx_.shards);
                step(augment_.train(shard), running, epoch, i);
            } else if (ctx_.shards > 1) {
                emulated_step(order, i, running);
            } else {
                step(augment_.train(data_.train.get(order, i, train_.batch_size)), running);
            }
            progress.update(i + 1, [&running] { return running.read().first; });
        }
        // Every rank reports the global figures; BatchNorm statistics follow rank 0's (the
        // weight average's too), as the checkpoint (written by rank 0) keeps them, so the
        // ranks evaluate one model, each its share of the batches.
        if (ctx_.dist->active()) {
            running.sum_over(*ctx_.dist, fmt::format("metrics of epoch {}", epoch));
            ctx_.dist->broadcast(buffers(), fmt::format("buffers after epoch {}", epoch));
            if (auto const* average = average_module())
                ctx_.dist->broadcast(
                    average->buffers(),
                    fmt::format("weight average's buffers after epoch {}", epoch));
        }
        epoch_record r;
        r.metrics.epoch = epoch;
        r.metrics.lr = lr;
        for (auto const& block : transfer_.blocks())
            r.block_lrs.push_back(block.frozen_at(epoch) ? 0.0 : lr * block.lr_factor);
        r.trainable = transfer_.trainable_parameters(epoch);
        std::tie(r.metrics.train_loss, r.metrics.train_acc) = running.read();
        auto const seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        r.metrics.images_per_second =
            static_cast<double>(clock_.steps_per_epoch * train_.batch_size) / seconds;
        progress.finish();
        return r;
    }

    //! The training step on one augmented batch (this rank's shard of the global batch in
    //! a data-parallel run, whose gradients are averaged over the ranks before the update).
    //! Under Execute<CudaGraph> on CUDA: eager warm-up steps, then the step (forward,
    //! backward, update; not the weight average) captured once and replayed.
    void step(training_batch const& b, running_metrics& running, int epoch = 0,
              std::int64_t i = 0) {
        if (graph_.capturing()) {
            auto const out = graph_.run(
                b, params_, [this] { opt_.optimizer->zero_grad(); },
                [this](training_batch const& in) {
                    auto r = backward(in);
                    update();
                    return r;
                });
            add_running(running, out, b.y);
            if (ema_)
                ema_->update(clock_.step);
            return;
        }
        eager_step(b, running, epoch, i);
    }

    //! The training step, eagerly (the learning-rate finder's always: its steps are
    //! undone after the sweep, so a graph captured there would hold stale state).
    void eager_step(training_batch const& b, running_metrics& running, int epoch = 0,
                    std::int64_t i = 0) {
        opt_.optimizer->zero_grad();
        add_running(running, backward(b), b.y);
        if (ctx_.dist->active())
            reducer_.finish(fmt::format("epoch {} step {}", epoch, i + 1));
        step_update();
    }

    //! Adds a step's micro-batch losses and logits to the running figures (`y`: the
    //! whole batch's labels, split as the step split it).
    void add_running(running_metrics& running, std::vector<step_output> const& out,
                     torch::Tensor const& y) const {
        auto const ys = out.size() == 1 ? std::vector<torch::Tensor>{y}
                                        : y.chunk(static_cast<std::int64_t>(out.size()));
        for (std::size_t c = 0; c < out.size(); ++c)
            running.add(out[c].loss, out[c].logits, ys[c]);
    }

    //! Forward and backward of one batch, adding its mean loss's gradients divided by
    //! `shards` to `.grad`: in Train<{.accumulate}> equal micro-batches, each loss scaled
    //! by its share, so the gradients add up to the whole batch's (the batch is augmented
    //! and mixed whole, before it is split, so MixUp pairs across micro-batches as
    //! without). A data-parallel run all-reduces once, during the last micro-batch's
    //! backward.
    std::vector<step_output> backward(training_batch const& b, int shards = 1) {
        auto const k = train_.accumulate;
        auto const split = [k](torch::Tensor const& t) {
            return k == 1 ? std::vector<torch::Tensor>{t} : t.chunk(k);
        };
        auto const xs = split(b.x);
        auto const targets = split(b.target);
        auto const divisor = shards * k;
        std::vector<step_output> out;
        for (int c = 0; c < k; ++c) {
            if (k > 1 && ctx_.dist->active())
                reducer_.sync_on_backward(c == k - 1);
            torch::Tensor logits, loss;
            {
                // Forward and loss under the Precision stage's autocast; the loss from
                // float32 logits.
                autocast_scope autocast(ctx_.device, e_.precision);
                logits = transfer_.forward(*model_, xs[c]);
                loss = loss_(logits.to(torch::kFloat32), targets[c]);
            }
            scaler_.scale(divisor == 1 ? loss : loss / static_cast<double>(divisor))
                .backward();
            out.push_back({loss, logits});
        }
        return out;
    }

    //! The step of an N-rank data-parallel run, in one process (--emulate-ranks N): the
    //! global batch in N shards, each forward and backward on its own (BatchNorm statistics
    //! per shard), the gradients averaged; buffers stay as shard 0 left them.
    void emulated_step(torch::Tensor const& order, std::int64_t i,
                       running_metrics& running) {
        auto const n = ctx_.shards;
        opt_.optimizer->zero_grad();
        std::vector<torch::Tensor> const state = buffers();
        std::vector<torch::Tensor> kept;
        for (int s = 0; s < n; ++s) {
            if (s == 1)
                for (auto const& b : state)
                    kept.push_back(b.clone());
            auto const shard =
                augment_.train(data_.train.get_shard(order, i, train_.batch_size, s, n));
            add_running(running, backward(shard, n), shard.y);
        }
        {
            torch::NoGradGuard no_grad;
            for (std::size_t k = 0; k < kept.size(); ++k)
                state[k].copy_(kept[k]);
        }
        step_update();
    }

    //! Clipping, the optimizer's update and the weight average, after the gradients are
    //! in; under FP16 the gradients unscaled first, and the update skipped (the scale
    //! backed off) when one of them is inf or NaN.
    void step_update() {
        update();
        if (ema_)
            ema_->update(clock_.step);
    }

    //! The update of step_update without the weight average (what a graph captures).
    void update() {
        scaler_.unscale(params_);
        if (train_.clip_grad_norm > 0.0)
            clip_grad_norm(params_, train_.clip_grad_norm);
        if (!scaler_.found_inf())
            opt_.optimizer->step();
        scaler_.update();
    }

    //! The learning-rate finder (record/lr_find.hpp), before the first epoch: one step per
    //! batch at rates rising exponentially from `o.start_lr` to `o.end_lr`, on the blocks
    //! trainable in epoch 1 (each at its LrScale or layer decay; frozen blocks untouched),
    //! until the last rate or until the smoothed loss diverges; then the model, its
    //! buffers, the weight average, the optimizer's state, the step count and every
    //! random stream go back to what they were, so a run after it is the run without it.
    //! Returns the sweep with its two suggestions, and the model's fingerprints before
    //! and after (equal, or the finder throws).
    lr_finding find_lr(lr_find_options const& o) {
        if (clock_.step != 0)
            throw error("the learning-rate finder", "a model that has not trained yet",
                        fmt::format("{} steps taken", clock_.step));
        auto live = model_tensors();
        if (ema_model_)
            for (auto const& t : ema_model_->module().parameters())
                live.push_back(t.detach());
        std::vector<torch::Tensor> saved;
        for (auto const& t : live)
            saved.push_back(t.clone());
        std::vector<std::pair<torch::Generator, torch::Tensor>> streams;
        for (auto const& s : random_streams())
            streams.emplace_back(s.generator, compat::generator_state(s.generator));
        lr_finding f;
        f.experiment = ctx_.experiment;
        f.fingerprint_before = fingerprint(live);

        transfer_.enter_epoch(1);
        opt_.epoch = 1;
        model_->module().train();
        transfer_.apply_batchnorm_modes();
        smoothed_loss smooth(o.smoothing);
        double lowest = std::numeric_limits<double>::infinity();
        f.stopped = fmt::format("reached the last rate, {:.3g}", o.end_lr);
        auto order = data_.train.shuffled_order(shuffle_);
        std::int64_t at = 0;
        for (int i = 0; i < o.steps; ++i, ++at) {
            if (at == clock_.steps_per_epoch) {
                order = data_.train.shuffled_order(shuffle_);
                at = 0;
            }
            auto const lr = sweep_lr(o, i);
            opt_.set_lr(lr);
            running_metrics running(ctx_.device);
            if (ctx_.shards > 1)
                emulated_step(order, at, running);
            else
                eager_step(augment_.train(data_.train.get(order, at, train_.batch_size)),
                           running);
            auto const loss = running.read().first;
            f.lrs.push_back(lr);
            f.losses.push_back(loss);
            f.smoothed.push_back(std::isfinite(loss)
                                     ? smooth.add(loss)
                                     : std::numeric_limits<double>::quiet_NaN());
            auto const s = f.smoothed.back();
            if (!std::isfinite(s)) {
                f.stopped = fmt::format("diverged at step {} (rate {:.3g}): a loss of {}",
                                        i + 1, lr, loss);
                break;
            }
            lowest = std::min(lowest, s);
            if (s > o.divergence * lowest) {
                f.stopped = fmt::format("diverged at step {} (rate {:.3g}): smoothed loss "
                                        "{:.4g} > {} x its lowest, {:.4g}",
                                        i + 1, lr, s, o.divergence, lowest);
                break;
            }
        }

        {
            torch::NoGradGuard no_grad;
            for (std::size_t k = 0; k < live.size(); ++k)
                live[k].copy_(saved[k]);
        }
        // Fresh as before the sweep: no optimizer state (momentum, moments), no gradients.
        opt_.optimizer->state().clear();
        for (auto& p : model_->module().parameters())
            p.mutable_grad() = torch::Tensor();
        for (auto& [generator, state] : streams)
            compat::set_generator_state(generator, state);
        clock_.step = 0;
        f.fingerprint_after = fingerprint(live);
        if (f.fingerprint_after != f.fingerprint_before)
            throw error("the learning-rate finder's restore",
                        "the model as before the sweep",
                        "different weights: this is a bug, please report it");
        // The steps taken past the lowest smoothed loss, up to the divergence, stay in the
        // plot; the suggestions read the smoothed loss as fastai does.
        f.steep = steepest_suggestion(f.lrs, f.smoothed);
        f.valley = valley_suggestion(f.lrs, f.smoothed);
        return f;
    }

    //! Fills `r`'s evaluation figures: the model's on the clean training subset and the
    //! validation split, the weight average's on the validation split.
    void validate(epoch_record& r) {
        std::tie(r.metrics.clean_train_loss, r.metrics.clean_train_acc) =
            evaluate(*model_, data_.clean_train, "clean training subset");
        std::tie(r.metrics.val_loss, r.metrics.val_acc) =
            evaluate(*model_, data_.val, "validation");
        if (ema_) {
            auto const [loss, acc] = evaluate(*ema_model_, data_.val, "weight average");
            r.ema_val = {loss, acc};
        }
        if (e_.tta.active()) {
            auto const [loss, acc] =
                evaluate(*model_, data_.val, "test-time augmented validation", e_.tta);
            r.tta_val = {loss, acc};
        }
    }

    //! The model's (loss, accuracy) on the test split, and the weight average's (zeros
    //! without Ema).
    [[nodiscard]] std::pair<std::pair<double, double>, std::pair<double, double>> test() {
        auto const model = evaluate(*model_, data_.test, "test");
        std::pair<double, double> average{0.0, 0.0};
        if (ema_)
            average = evaluate(*ema_model_, data_.test, "weight average's test");
        return {model, average};
    }

    //! The model's (loss, accuracy) on the test split over the views of
    //! Evaluate<TTA<...>>.
    [[nodiscard]] std::pair<double, double> tta_test() {
        return evaluate(*model_, data_.test, "test-time augmented test", e_.tta);
    }

    //! The model's prediction for every test example, in order (the per-class report),
    //! named by its file where the dataset names its examples (an ImageFolder).
    [[nodiscard]] prediction_set test_predictions() {
        auto p = [&] {
            autocast_scope autocast(ctx_.device, e_.precision);
            return predictions(*model_, data_.test, train_.eval_batch_size);
        }();
        if (data_.test_names.size() == p.labels.size())
            p.names = data_.test_names;
        return p;
    }

    //! Every random stream the run draws from after it starts, by name: the process-wide
    //! CPU generator (dropout on the CPU), the device's (dropout on CUDA), the epoch
    //! shuffle and each Augment stage's own. Checkpoints keep them all.
    [[nodiscard]] std::vector<random_stream> random_streams() const {
        std::vector<random_stream> out{{"cpu", compat::default_cpu_generator()},
                                       {"shuffle", shuffle_}};
        if (ctx_.device.is_cuda())
            out.push_back({ctx_.device.str(), compat::default_generator(ctx_.device)});
        for (auto const& [name, gen] : augment_.streams())
            out.push_back({name, gen});
        return out;
    }

    //! Writes the checkpoint after epoch `epoch` with `history` (atomically).
    void save_checkpoint(std::filesystem::path const& path, int epoch,
                         std::vector<epoch_record> const& history) const {
        checkpoint_info info{ctx_.experiment, ctx_.options.seed,  epoch,  ctx_.epochs,
                             clock_.step,     data_.train.size(), history};
        info.world = ctx_.dist->world();
        info.shards = ctx_.shards;
        pipeline::save_checkpoint(path, info, model_->module(), *opt_.optimizer,
                                  average_module(), random_streams(), scaler_.state());
    }

    //! Continues from `ck`: the model, optimizer state, weight average, random streams and
    //! step count it holds. Returns the first epoch still to run.
    int restore(loaded_checkpoint const& ck) {
        if (ck.info.train_examples != data_.train.size())
            throw error("--resume " + ck.path.string(),
                        std::to_string(ck.info.train_examples) + " training examples",
                        std::to_string(data_.train.size()) + " (use the run's --limit)");
        auto* average = ema_model_ ? &ema_model_->module() : nullptr;
        restore_checkpoint(ck, model_->module(), *opt_.optimizer, average, random_streams(),
                           scaler_.state());
        clock_.step = ck.info.step;
        return ck.info.epoch + 1;
    }

    //! The model being trained.
    [[nodiscard]] backbone_network& model() const { return *model_; }
    [[nodiscard]] bool has_average() const { return ema_.has_value(); }

private:
    //! `model`'s (loss, accuracy) on `data`. In a data-parallel run each rank evaluates its
    //! share of the batches and the sums are added over the ranks, so every rank reports
    //! the figures of the whole split at 1 / world of the work.
    std::pair<double, double> evaluate(backbone_network& model, device_batches const& data,
                                       std::string const& what, TtaParams const& tta = {}) {
        int const ranks = ctx_.dist->active() ? ctx_.dist->world() : 1;
        autocast_scope autocast(ctx_.device, e_.precision);
        auto sums = evaluation_sums(model, data, train_.eval_batch_size, ctx_.dist->rank(),
                                    ranks, tta);
        if (ranks > 1)
            sums.sum_over(*ctx_.dist, what + " evaluation");
        return sums.read();
    }

    //! A CRC-32C over the bytes of `tensors` (on the CPU, contiguous): equal for equal
    //! weights.
    static std::uint32_t fingerprint(std::vector<torch::Tensor> const& tensors) {
        std::uint32_t crc = 0;
        for (auto const& t : tensors) {
            auto const c = to_host(t);
            crc = crc32c(std::span<unsigned char const>(
                             static_cast<unsigned char const*>(c.data_ptr()), c.nbytes()),
                         crc);
        }
        return crc;
    }

    //! Rank 0 draws augmentations from the run's seed; every other rank from its own
    //! stream.
    static std::uint64_t augment_seed(run_context const& ctx) {
        auto const rank = ctx.dist->rank();
        return rank == 0 ? ctx.options.seed
                         : derive_seed(ctx.options.seed, "rank:" + std::to_string(rank));
    }

    std::vector<torch::Tensor> buffers() const {
        std::vector<torch::Tensor> out;
        for (auto const& b : model_->module().buffers())
            out.push_back(b);
        return out;
    }

    std::vector<torch::Tensor> model_tensors() const {
        std::vector<torch::Tensor> out;
        for (auto const& p : model_->module().parameters())
            out.push_back(p.detach());
        for (auto const& b : model_->module().buffers())
            out.push_back(b);
        return out;
    }

    static std::unique_ptr<backbone_network> seeded_model(spec::experiment const& e,
                                                          run_context const& ctx,
                                                          weights_file const* weights) {
        torch::manual_seed(derive_seed(ctx.options.seed, "model"));
        auto model =
            make_model(e.model, e.data.channels, e.data.classes, weights, ctx.options.log);
        model->module().to(ctx.device);
        if (e.execution.channels_last)
            to_channels_last(model->module());
        set_cudnn_modes(e.execution, ctx.device);
        return model;
    }

    //! Whether the step is captured: Execute<CudaGraph> on a CUDA device in one process
    //! (data-parallel runs are refused by the rules; --emulate-ranks runs eagerly).
    static bool captures_step(spec::experiment const& e, run_context const& ctx) {
        return e.execution.cuda_graph && ctx.device.is_cuda() && !ctx.dist->active()
               && ctx.shards == 1;
    }

    //! What the execution line says of Execute<CudaGraph>.
    static std::string graph_line(spec::experiment const& e, run_context const& ctx) {
        if (captures_step(e, ctx))
            return fmt::format("the step captured in a CUDA graph after {} eager steps and "
                               "replayed (the weight average updates after each replay)",
                               e.execution.graph_warmup);
        if (!ctx.device.is_cuda())
            return fmt::format("CudaGraph: the device is {}, the step runs eagerly (graphs "
                               "are CUDA's)",
                               ctx.device.str());
        return "CudaGraph: the step runs eagerly (more than one shard)";
    }

    //! Each parameter's requires_grad and each module's training flag, in order: what a
    //! captured step depends on beyond its tensors.
    [[nodiscard]] std::vector<bool> trainable_set() const {
        std::vector<bool> out;
        for (auto const& p : model_->module().parameters())
            out.push_back(p.requires_grad());
        for (auto const& m : model_->module().modules())
            out.push_back(m->is_training());
        return out;
    }

    [[nodiscard]] torch::nn::Module const* average_module() const {
        return ema_model_ ? &ema_model_->module() : nullptr;
    }

    spec::experiment const& e_;
    TrainParams train_;
    run_context const& ctx_;
    experiment_data const& data_;
    std::unique_ptr<backbone_network> model_;
    transfer_controller transfer_;
    built_optimizer opt_;
    training_loss loss_;
    std::vector<torch::Tensor> params_;
    std::unique_ptr<backbone_network> ema_model_;
    std::optional<weight_average> ema_;
    augmenter augment_;
    torch::Generator shuffle_;
    schedule_clock clock_;
    gradient_reducer reducer_;
    grad_scaler scaler_;
    step_graph graph_;
};

} // namespace pipeline
