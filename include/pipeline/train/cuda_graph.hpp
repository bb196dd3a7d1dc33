// The tensor side of Execute<CudaGraph>: the training step (forward, loss, backward,
// clipping, the optimizer's update) captured once in a CUDA graph and replayed every step
// after, as PyTorch's whole-network capture does it (torch.cuda.graph): a few eager
// warm-up steps on a side stream first (the optimizer's moments, cuDNN's benchmarked
// algorithms and cuBLAS's workspaces are made there, outside the graph), the gradients
// set to none so that the captured backward allocates them in the graph's pool, then one
// capture on the side stream and a replay per step. The batch enters through static
// buffers the graph reads: the augmented batch is copied in (device to device) before
// each replay, so the Augment stages (MixUp's and CutMix's draws included) run eagerly
// every step from their own generators and no draw is frozen into the graph; dropout
// inside the model draws from the device's default generator, which a capture registers
// itself. What the graph cannot hold stays outside it: the learning rate is a device
// tensor the schedule fills before the replay (the capturable optimizers of
// train/multi_tensor.hpp), and the weight average updates after the replay (its decay is a
// host number per step). A change of the trainable set (a staged unfreeze) drops the graph:
// the next steps warm up again and the step is captured anew.
//
// Only a LibTorch built with CUDA has the capture API; PIPELINE_CUDA_GRAPHS (set by the
// package where ATen/cuda/CUDAGraph.h compiles) compiles it in. Elsewhere the class runs
// every step eagerly, and asking it to capture is an error naming the build.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <torch/torch.h>

#if defined(PIPELINE_CUDA_GRAPHS)
#include <ATen/autocast_mode.h>
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

#include <pipeline/augment/augmenter.hpp>
#include <pipeline/error.hpp>
#include <pipeline/shape_text.hpp>

namespace pipeline {

//! Whether this build can capture CUDA graphs (a LibTorch with CUDA).
inline constexpr bool cuda_graphs_built =
#if defined(PIPELINE_CUDA_GRAPHS)
    true;
#else
    false;
#endif

//! What one micro-batch of a training step leaves for the running figures: its mean loss
//! and its logits (device tensors; in a captured step, the graph's outputs).
struct step_output {
    torch::Tensor loss;
    torch::Tensor logits;
};

//! Runs training steps eagerly or through a captured CUDA graph (see the file's comment).
class step_graph {
public:
    //! The step without zeroing the gradients: forward, backward, update; its outputs.
    using step_fn = std::function<std::vector<step_output>(training_batch const&)>;

    //! `capture`: capture the step (Execute<CudaGraph> on a CUDA device, in one process);
    //! false: every step eagerly. `warmup`: eager steps before each capture.
    step_graph(bool capture, torch::Device device, int warmup)
        : capture_(capture)
        , device_(device)
        , warmup_(warmup)
        , eager_left_(warmup) {
        if (!capture_)
            return;
        if (!device.is_cuda())
            throw error("Execute<CudaGraph>", "a CUDA device to capture on",
                        "device " + device.str());
        if (warmup < 1)
            throw error("Execute<CudaGraph>",
                        "at least one warm-up step before the capture",
                        std::to_string(warmup));
        if (!cuda_graphs_built)
            throw error("Execute<CudaGraph> on " + device.str(),
                        "a LibTorch built with CUDA graphs (ATen/cuda/CUDAGraph.h; "
                        "PIPELINE_CUDA_GRAPHS)",
                        "a build without them; drop CudaGraph or build against a CUDA "
                        "LibTorch (scripts/test-torch2.sh's)");
    }
    step_graph(step_graph const&) = delete;
    step_graph& operator=(step_graph const&) = delete;
    ~step_graph() = default;

    //! Whether steps go through a graph (else each runs eagerly).
    [[nodiscard]] bool capturing() const { return capture_; }
    //! How many times the step has been captured so far.
    [[nodiscard]] int captures() const { return captures_; }
    //! Whether a captured graph is being replayed now.
    [[nodiscard]] bool captured() const {
#if defined(PIPELINE_CUDA_GRAPHS)
        return graph_ != nullptr;
#else
        return false;
#endif
    }
    //! The step the next capture happens at, counted from the last change (eager steps
    //! still to run).
    [[nodiscard]] int eager_steps_left() const {
        return eager_left_;
    }

    //! The trainable set of the coming steps: each parameter's requires_grad and each
    //! module's training flag, in the model's order. A set other than the one captured
    //! drops the graph (the next `warmup` steps run eagerly, then the step is captured
    //! again) and returns true; the same set, or the first one, returns false.
    bool expect(std::vector<bool> trainable) {
        if (trainable == trainable_)
            return false;
        bool const had = !trainable_.empty();
        trainable_ = std::move(trainable);
        if (!had)
            return false;
        drop();
        return capture_;
    }

    //! One training step on `b` with `params` (the model's parameters): eagerly while
    //! warming up (`zero_grad` first), captured and replayed at the end of the warm-up, a
    //! replay after. Returns the step's outputs.
    std::vector<step_output> run(training_batch const& b,
                                 std::vector<torch::Tensor> const& params,
                                 std::function<void()> const& zero_grad,
                                 step_fn const& step) {
        if (!capture_) {
            zero_grad();
            return step(b);
        }
#if defined(PIPELINE_CUDA_GRAPHS)
        if (graph_) {
            fill(b);
            graph_->replay();
            return outputs_;
        }
        auto const current = c10::cuda::getCurrentCUDAStream(device_.index());
        if (!side_)
            side_.emplace(c10::cuda::getStreamFromPool(false, device_.index()));
        if (eager_left_ > 0) {
            wait(current, *side_);
            std::vector<step_output> out;
            {
                c10::cuda::CUDAStreamGuard on_side(*side_);
                zero_grad();
                out = step(b);
            }
            wait(*side_, current);
            --eager_left_;
            return out;
        }
        // The capture: static copies of this batch, no gradients (the captured backward
        // allocates them in the graph's pool and writes them on every replay), autocast's
        // weight cache off (a cached cast made during the capture would outlive it:
        // PyTorch's rule for autocast with graphs).
        statics_ = {b.x.clone(), b.target.clone(), b.y.clone()};
        for (auto p : params)
            p.mutable_grad() = torch::Tensor();
        // As torch.cuda.graph enters: nothing else in flight on the device.
        torch::cuda::synchronize(device_.index());
        bool const cache = at::autocast::is_autocast_cache_enabled();
        at::autocast::set_autocast_cache_enabled(false);
        graph_ = std::make_unique<at::cuda::CUDAGraph>();
        try {
            c10::cuda::CUDAStreamGuard on_side(*side_);
            graph_->capture_begin();
            try {
                outputs_ = step(statics_);
            } catch (...) {
                try {
                    graph_->capture_end();
                } catch (...) {
                }
                throw;
            }
            graph_->capture_end();
        } catch (std::exception const& e) {
            at::autocast::set_autocast_cache_enabled(cache);
            graph_.reset();
            outputs_.clear();
            throw error("Execute<CudaGraph>: capturing the training step",
                        "a step that launches only device work (no host read, no "
                        "host-to-device copy, no synchronisation)",
                        std::string(e.what())
                            + " (a custom stage that reads a value "
                              "back on the host cannot be captured; drop CudaGraph)");
        }
        at::autocast::set_autocast_cache_enabled(cache);
        wait(*side_, current);
        ++captures_;
        graph_->replay();
        return outputs_;
#else
        (void)b;
        (void)params;
        (void)zero_grad;
        (void)step;
        return {};
#endif
    }

private:
    //! Forgets the captured graph and its outputs; the next steps warm up again.
    void drop() {
#if defined(PIPELINE_CUDA_GRAPHS)
        outputs_.clear();
        graph_.reset();
#endif
        eager_left_ = warmup_;
    }

#if defined(PIPELINE_CUDA_GRAPHS)
    //! `to` waits for the work queued on `from` so far.
    static void wait(c10::cuda::CUDAStream const& from, c10::cuda::CUDAStream const& to) {
        if (from == to)
            return;
        at::cuda::CUDAEvent done;
        done.record(from);
        done.block(to);
    }

    //! Copies `b` into the graph's static inputs (same shapes and types as captured).
    void fill(training_batch const& b) {
        auto const same = [](torch::Tensor const& a, torch::Tensor const& s) {
            return a.sizes() == s.sizes() && a.scalar_type() == s.scalar_type();
        };
        if (!same(b.x, statics_.x) || !same(b.target, statics_.target)
            || !same(b.y, statics_.y))
            throw error("Execute<CudaGraph>: a training batch",
                        "the captured batch's shapes, images "
                            + detail::shape_text(statics_.x) + " and targets "
                            + detail::shape_text(statics_.target),
                        "images " + detail::shape_text(b.x) + " and targets "
                            + detail::shape_text(b.target));
        torch::NoGradGuard no_grad;
        statics_.x.copy_(b.x, /*non_blocking=*/true);
        statics_.target.copy_(b.target, true);
        statics_.y.copy_(b.y, true);
    }

    std::unique_ptr<at::cuda::CUDAGraph> graph_;
    std::optional<c10::cuda::CUDAStream> side_;
    training_batch statics_;
    std::vector<step_output> outputs_;
#endif
    bool capture_;
    torch::Device device_;
    int warmup_;
    int eager_left_;
    int captures_ = 0;
    std::vector<bool> trainable_;
};

} // namespace pipeline
