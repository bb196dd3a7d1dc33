// Data-parallel training on PyTorch's c10d: the environment a launcher sets (torchrun's
// RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT), the process group it forms
// (TCPStore, then Gloo for CPU tensors or NCCL for CUDA ones), and the gradient reducer:
// hooks on the trainable parameters fill buckets that are all-reduced while the backward
// pass goes on. Frozen parameters have no hook and are in no bucket.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <torch/torch.h>

#include <pipeline/compat.hpp>
#include <pipeline/error.hpp>

namespace pipeline {

//! The process layout a launcher describes in the environment: torchrun sets all five
//! variables, and so can a plain shell loop.
struct launch_environment {
    int rank = 0;
    int world = 1;
    int local_rank = 0;
    std::string master_addr = "127.0.0.1";
    std::uint16_t master_port = 29500;
    //! Whether WORLD_SIZE was set at all (a launcher started this process).
    bool launched = false;
};

namespace detail {

inline std::optional<std::string> environment_variable(char const* name) {
    if (char const* value = std::getenv(name); value && *value)
        return std::string(value);
    return std::nullopt;
}

//! The integer in environment variable `name`, between `low` and `high`.
inline long integer_variable(char const* name, std::string const& text, long low, long high,
                             std::string const& meaning) {
    std::size_t used = 0;
    long value = 0;
    try {
        value = std::stol(text, &used);
    } catch (std::exception const&) {
        used = 0;
    }
    if (used != text.size() || value < low || value > high)
        throw error(std::string("environment variable ") + name,
                    fmt::format("{} from {} to {}", meaning, low, high), "'" + text + "'");
    return value;
}

} // namespace detail

//! Reads the launcher's variables. Without WORLD_SIZE the process runs alone (`launched`
//! false); with it, RANK, MASTER_ADDR and MASTER_PORT must be set too (LOCAL_RANK
//! defaults to RANK), and a missing or malformed one is an error naming it.
inline launch_environment read_launch_environment() {
    launch_environment env;
    auto const world = detail::environment_variable("WORLD_SIZE");
    if (!world)
        return env;
    env.launched = true;
    env.world = static_cast<int>(
        detail::integer_variable("WORLD_SIZE", *world, 1, 65536, "a process count"));
    auto require = [&](char const* name) {
        auto value = detail::environment_variable(name);
        if (!value)
            throw error(std::string("environment variable ") + name,
                        "it set beside WORLD_SIZE=" + *world
                            + " (torchrun sets RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR "
                              "and MASTER_PORT; a shell loop must set them too)",
                        "it unset");
        return *value;
    };
    env.rank = static_cast<int>(
        detail::integer_variable("RANK", require("RANK"), 0, env.world - 1,
                                 "this process's rank, below WORLD_SIZE=" + *world + ","));
    env.local_rank = env.rank;
    if (auto local = detail::environment_variable("LOCAL_RANK"))
        env.local_rank = static_cast<int>(
            detail::integer_variable("LOCAL_RANK", *local, 0, 65535, "a local rank"));
    env.master_addr = require("MASTER_ADDR");
    env.master_port = static_cast<std::uint16_t>(detail::integer_variable(
        "MASTER_PORT", require("MASTER_PORT"), 1, 65535, "a TCP port"));
    return env;
}

//! A run's place among the processes of a data-parallel job: its rank, the world size, its
//! local rank (which GPU it drives) and the c10d process group (none when it runs alone).
class distributed_context {
public:
    distributed_context() = default;

    //! Forms the process group `env` describes: rank 0 serves the TCPStore at MASTER_ADDR:
    //! MASTER_PORT, every rank connects to it, then Gloo (CPU) or NCCL (CUDA) rendezvous
    //! through it. Connecting, the rendezvous and every collective give up after
    //! `timeout`, so a wrong port or a missing rank is an error, not a hang.
    distributed_context(launch_environment const& env, torch::Device const& device,
                        std::chrono::seconds timeout)
        : rank_(env.rank)
        , world_(env.world)
        , local_rank_(env.local_rank)
        , timeout_(timeout) {
        auto const where = fmt::format("rank {} of {} (MASTER_ADDR={} MASTER_PORT={})",
                                       rank_, world_, env.master_addr, env.master_port);
        if (device.is_cuda() ? !compat::has_c10d_nccl : !compat::has_c10d_gloo)
            throw error(where,
                        fmt::format("a LibTorch whose c10d has the {} process group",
                                    device.is_cuda() ? "NCCL" : "Gloo"),
                        fmt::format("LibTorch {} built without it here (Gloo needs Gloo's "
                                    "headers at build time: Debian's libgloo-dev; see "
                                    "docs/scaling.md)",
                                    compat::torch_version()));
#if defined(PIPELINE_C10D_GLOO) || defined(PIPELINE_C10D_NCCL)
        auto const ms = std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
        try {
            auto store =
                compat::make_tcp_store(env.master_addr, env.master_port, rank_, world_, ms);
#if defined(PIPELINE_C10D_NCCL)
            if (device.is_cuda())
                group_ = compat::make_nccl_group(store, rank_, world_, ms);
#endif
#if defined(PIPELINE_C10D_GLOO)
            if (!device.is_cuda())
                group_ = compat::make_gloo_group(store, rank_, world_, env.master_addr, ms);
#endif
        } catch (std::exception const& e) {
            throw error(
                where,
                fmt::format("all {} ranks to meet within --dist-timeout {} s (is every "
                            "rank started, and MASTER_ADDR:MASTER_PORT where rank 0 "
                            "listens?)",
                            world_, timeout.count()),
                "no rendezvous: " + first_line(e.what()));
        }
#endif
    }

    [[nodiscard]] int rank() const {
        return rank_;
    }
    [[nodiscard]] int world() const {
        return world_;
    }
    [[nodiscard]] int local_rank() const {
        return local_rank_;
    }
    //! Rank 0 writes logs, plots and checkpoints; the others write nothing.
    [[nodiscard]] bool is_root() const {
        return rank_ == 0;
    }
    //! Whether collectives run (a process group exists).
    [[nodiscard]] bool active() const {
#if defined(PIPELINE_C10D_GLOO) || defined(PIPELINE_C10D_NCCL)
        return static_cast<bool>(group_);
#else
        return false;
#endif
    }
    [[nodiscard]] std::chrono::seconds timeout() const {
        return timeout_;
    }

    //! A collective in flight.
    class pending {
    public:
        pending() = default;
#if defined(PIPELINE_C10D_GLOO) || defined(PIPELINE_C10D_NCCL)
        explicit pending(compat::c10d_work_ptr work)
            : work_(std::move(work)) {}
#endif
        //! Waits for it; a lost peer or a timeout becomes one error naming `what`.
        void wait(distributed_context const& ctx, std::string const& what) {
#if defined(PIPELINE_C10D_GLOO) || defined(PIPELINE_C10D_NCCL)
            if (!work_)
                return;
            auto work = std::move(work_);
            try {
                compat::wait(work, std::chrono::duration_cast<std::chrono::milliseconds>(
                                       ctx.timeout_));
            } catch (std::exception const& e) {
                ctx.lost(what, e);
            }
#else
            (void)ctx;
            (void)what;
#endif
        }

    private:
#if defined(PIPELINE_C10D_GLOO) || defined(PIPELINE_C10D_NCCL)
        compat::c10d_work_ptr work_;
#endif
    };

    //! Launches the sum of `tensor` over all ranks, in place.
    [[nodiscard]] pending start_sum(torch::Tensor const& tensor,
                                    std::string const& what) const {
#if defined(PIPELINE_C10D_GLOO) || defined(PIPELINE_C10D_NCCL)
        if (!group_)
            return {};
        std::vector<torch::Tensor> tensors{tensor};
        try {
            return pending(compat::allreduce_sum(*group_, tensors));
        } catch (std::exception const& e) {
            lost(what, e);
        }
#else
        (void)tensor;
        (void)what;
        return {};
#endif
    }

    //! Sums `tensor` over all ranks, in place, and waits.
    void sum(torch::Tensor const& tensor, std::string const& what) const {
        start_sum(tensor, what).wait(*this, what);
    }

    //! Copies rank 0's `tensors` to every rank, in place.
    void broadcast(std::vector<torch::Tensor> const& tensors,
                   std::string const& what) const {
#if defined(PIPELINE_C10D_GLOO) || defined(PIPELINE_C10D_NCCL)
        if (!group_)
            return;
        for (auto const& t : tensors) {
            std::vector<torch::Tensor> one{t};
            try {
                pending(compat::broadcast(*group_, one, 0)).wait(*this, what);
            } catch (pipeline::error const&) {
                throw;
            } catch (std::exception const& e) {
                lost(what, e);
            }
        }
#else
        (void)tensors;
        (void)what;
#endif
    }

    //! Throws the error of a collective that failed: a rank died or stopped answering.
    [[noreturn]] void lost(std::string const& what, std::exception const& e) const {
        throw error(fmt::format("rank {} of {}, {}", rank_, world_, what),
                    fmt::format("all {} ranks to answer within --dist-timeout {} s", world_,
                                timeout_.count()),
                    "a rank lost: " + first_line(e.what()));
    }

private:
    static std::string first_line(std::string const& text) {
        auto const end = text.find('\n');
        return end == std::string::npos ? text : text.substr(0, end);
    }

    int rank_ = 0;
    int world_ = 1;
    int local_rank_ = 0;
    std::chrono::seconds timeout_{1800};
#if defined(PIPELINE_C10D_GLOO) || defined(PIPELINE_C10D_NCCL)
    compat::c10d_group_ptr group_;
#endif
};

//! All-reduces gradients in buckets while the backward pass runs. A hook on each trainable
//! parameter copies its gradient into its bucket; a bucket whose parameters all have
//! theirs is launched, in bucket order (the same on every rank, as collectives must be).
//! `finish` launches what is left, with zeros for a parameter that got no gradient on this
//! rank (so a rank that skipped it never hangs the others), waits, and writes the mean
//! over ranks into every parameter's `.grad`. Frozen parameters get no hook.
class gradient_reducer {
public:
    gradient_reducer(distributed_context const& ctx, double bucket_mb)
        : ctx_(ctx)
        , bucket_bytes_(static_cast<std::int64_t>(bucket_mb * 1024.0 * 1024.0)) {}

    gradient_reducer(gradient_reducer const&) = delete;
    gradient_reducer& operator=(gradient_reducer const&) = delete;
    ~gradient_reducer() { clear(); }

    //! Hooks `params` (the model's parameters in registration order; those without
    //! requires_grad are left alone) and buckets them in reverse order, the order the
    //! backward pass produces gradients in. Called again whenever the trainable set
    //! changes (a staged unfreeze), identically on every rank.
    void rebuild(std::vector<torch::Tensor> const& params) {
        clear();
        if (!ctx_.active())
            return;
        for (auto it = params.rbegin(); it != params.rend(); ++it) {
            auto const& p = *it;
            if (!p.requires_grad())
                continue;
            auto const bytes = p.numel() * static_cast<std::int64_t>(p.element_size());
            if (buckets_.empty() || buckets_.back().bytes + bytes > bucket_bytes_
                || buckets_.back().dtype != p.scalar_type()) {
                buckets_.emplace_back();
                buckets_.back().dtype = p.scalar_type();
            }
            auto& b = buckets_.back();
            slots_.push_back({buckets_.size() - 1, b.members.size(), b.numel});
            b.members.push_back(params_.size());
            b.numel += p.numel();
            b.bytes += bytes;
            params_.push_back(p);
        }
        for (auto& b : buckets_) {
            b.flat = torch::zeros({b.numel}, params_[b.members.front()].options());
            b.got.assign(b.members.size(), false);
        }
        for (std::size_t i = 0; i < params_.size(); ++i) {
            auto& p = params_[i];
            hooks_.push_back(
                p.register_hook([this, i](torch::Tensor const& g) { on_gradient(i, g); }));
        }
    }

    //! Ends the step's reduction: every bucket launched (zeros for gradients this rank did
    //! not produce), waited for, and averaged into the parameters' `.grad`.
    void finish(std::string const& where) {
        if (buckets_.empty())
            return;
        while (next_ < buckets_.size())
            launch(next_++, where);
        for (auto& b : buckets_)
            b.work.wait(ctx_, "gradient all-reduce at " + where);
        auto const world = static_cast<double>(ctx_.world());
        for (auto& b : buckets_) {
            b.flat.div_(world);
            for (std::size_t k = 0; k < b.members.size(); ++k) {
                auto& p = params_[b.members[k]];
                auto const& s = slots_[b.members[k]];
                auto mean = b.flat.narrow(0, s.offset, p.numel()).view_as(p);
                if (p.grad().defined())
                    p.mutable_grad().detach().copy_(mean);
                else
                    p.mutable_grad() = mean.clone();
            }
            b.got.assign(b.members.size(), false);
            b.ready = 0;
        }
        next_ = 0;
        sync_ = true;
        accumulated_ = false;
    }

    //! Gradient accumulation: whether the next backward pass all-reduces (the last
    //! micro-batch's) or only accumulates into `.grad` (the others). The last one reduces
    //! each parameter's accumulated gradient, `.grad` plus the pass's own.
    void sync_on_backward(bool sync) {
        sync_ = sync;
        accumulated_ = true;
    }

    //! Buckets and their sizes, for the log line.
    [[nodiscard]] std::size_t buckets() const { return buckets_.size(); }
    [[nodiscard]] std::size_t parameters() const { return params_.size(); }

private:
    struct bucket {
        torch::ScalarType dtype = torch::kFloat;
        std::vector<std::size_t> members;
        std::vector<bool> got;
        std::int64_t numel = 0;
        std::int64_t bytes = 0;
        std::size_t ready = 0;
        torch::Tensor flat;
        distributed_context::pending work;
    };
    struct slot {
        std::size_t bucket;
        std::size_t index;
        std::int64_t offset;
    };

    void on_gradient(std::size_t i, torch::Tensor const& g) {
        if (!sync_)
            return;
        auto const& s = slots_[i];
        auto& b = buckets_[s.bucket];
        auto slice = b.flat.narrow(0, s.offset, g.numel());
        slice.copy_(g.detach().reshape({-1}));
        // The hook runs before the pass's gradient is added to `.grad`: add what earlier
        // micro-batches accumulated there.
        if (auto const& acc = params_[i].grad(); accumulated_ && acc.defined())
            slice.add_(acc.detach().reshape({-1}));
        if (!b.got[s.index]) {
            b.got[s.index] = true;
            ++b.ready;
        }
        // Launch in bucket order only: a later bucket filled first waits for the earlier.
        while (next_ < buckets_.size()
               && buckets_[next_].ready == buckets_[next_].members.size())
            launch(next_++, "backward");
    }

    void launch(std::size_t k, std::string const& where) {
        auto& b = buckets_[k];
        for (std::size_t m = 0; m < b.members.size(); ++m)
            if (!b.got[m]) {
                // No gradient from this rank's last pass: what earlier micro-batches
                // accumulated, else zeros.
                auto const& p = params_[b.members[m]];
                auto slice = b.flat.narrow(0, slots_[b.members[m]].offset, p.numel());
                if (accumulated_ && p.grad().defined())
                    slice.copy_(p.grad().detach().reshape({-1}));
                else
                    slice.zero_();
            }
        b.work = ctx_.start_sum(b.flat, "gradient all-reduce at " + where);
    }

    void clear() {
        for (std::size_t i = 0; i < hooks_.size(); ++i)
            params_[i].remove_hook(hooks_[i]);
        hooks_.clear();
        params_.clear();
        slots_.clear();
        buckets_.clear();
        next_ = 0;
    }

    distributed_context const& ctx_;
    std::int64_t bucket_bytes_;
    std::vector<torch::Tensor> params_;
    std::vector<slot> slots_;
    std::vector<unsigned> hooks_;
    std::vector<bucket> buckets_;
    std::size_t next_ = 0;
    bool sync_ = true;
    bool accumulated_ = false;
};

} // namespace pipeline
