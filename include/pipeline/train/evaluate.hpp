// Metrics kept on the device while an epoch runs (read once at its end, the only host
// synchronisation), gradient clipping without a host read, and the evaluation pass (whole,
// or one rank's share of a data-parallel run's).
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include <pipeline/data/batches.hpp>
#include <pipeline/dsl/evaluate.hpp>
#include <pipeline/host_read.hpp>
#include <pipeline/models/backbone.hpp>
#include <pipeline/record/class_report.hpp>
#include <pipeline/train/loss.hpp>

namespace pipeline {

//! Sums of loss and correct predictions, kept on the device until read.
class running_metrics {
public:
    explicit running_metrics(torch::Device const& device)
        : loss_sum_(
            torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat64).device(device)))
        , correct_(torch::zeros(
              {}, torch::TensorOptions().dtype(torch::kInt64).device(device))) {}

    //! Adds a batch: its mean loss, its logits and the labels they are scored against.
    void add(torch::Tensor const& mean_loss, torch::Tensor const& logits,
             torch::Tensor const& labels) {
        auto n = labels.size(0);
        loss_sum_.add_(mean_loss.detach().to(torch::kFloat64) * static_cast<double>(n));
        correct_.add_(logits.detach().argmax(1).eq(labels).sum());
        seen_ += n;
    }

    //! The mean loss and the accuracy so far: one host read (it synchronises with the
    //! device), of both sums together.
    [[nodiscard]] std::pair<double, double> read() const {
        if (seen_ == 0)
            return {0.0, 0.0};
        auto const sums = to_host(torch::stack({loss_sum_, correct_.to(torch::kFloat64)}),
                                  torch::kFloat64);
        auto const* v = sums.data_ptr<double>();
        return {v[0] / static_cast<double>(seen_), v[1] / static_cast<double>(seen_)};
    }

    //! Replaces the sums with their totals over the ranks of a data-parallel run, so every
    //! rank reports the global figures.
    template <class Ranks>
    void sum_over(Ranks const& ranks, std::string const& what) {
        auto totals = torch::stack(
            {loss_sum_, correct_.to(torch::kFloat64),
             torch::full({}, static_cast<double>(seen_), loss_sum_.options())});
        ranks.sum(totals, what);
        loss_sum_.copy_(totals[0]);
        correct_.copy_(totals[1].round().to(torch::kInt64));
        seen_ = static_cast<std::int64_t>(std::llround(host_value<double>(totals[2])));
    }

private:
    torch::Tensor loss_sum_;
    torch::Tensor correct_;
    std::int64_t seen_ = 0;
};

//! Clips the global gradient norm of `params` to `max_norm` without reading it on the
//! host (LibTorch's clip_grad_norm_ returns a double, which synchronises every step).
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

//! The views of a batch `x` (N, C, H, W) that Evaluate<TTA<...>> averages over, in one
//! batch of views x N images: `x`; with `shift`, `x` shifted by `shift` pixels down-right
//! and up-left (the border reflected, as airbench translates); with `flip`, each of those
//! mirrored left-right. The batch of `x` alone without TTA.
inline torch::Tensor tta_views(torch::Tensor const& x, TtaParams const& tta) {
    std::vector<torch::Tensor> views{x};
    if (tta.shift > 0) {
        auto const s = tta.shift;
        auto const h = x.size(2), w = x.size(3);
        auto const padded = torch::nn::functional::pad(
            x, torch::nn::functional::PadFuncOptions({s, s, s, s}).mode(torch::kReflect));
        // The window at the top left shows the image moved down-right by s; the one at
        // the bottom right, moved up-left.
        views.push_back(padded.slice(2, 0, h).slice(3, 0, w));
        views.push_back(padded.slice(2, 2 * s, 2 * s + h).slice(3, 2 * s, 2 * s + w));
    }
    if (tta.flip)
        for (std::size_t k = 0, n = views.size(); k < n; ++k)
            views.push_back(views[k].flip({3}));
    return views.size() == 1 ? x : torch::cat(views);
}

//! The logits of `forward` for `x`, averaged over the views of `tta` (one forward pass
//! over all the views at once: evaluation mode, so each image's logits do not depend on
//! the others in the batch). In float32, whatever autocast computed them in
//! (Precision<BF16>): the loss and the average are read from float32.
template <class Forward>
torch::Tensor tta_logits(Forward&& forward, torch::Tensor const& x, TtaParams const& tta) {
    if (!tta.active())
        return forward(x).to(torch::kFloat32);
    auto const logits = forward(tta_views(x, tta)).to(torch::kFloat32);
    return logits.view({tta.views(), x.size(0), logits.size(1)}).mean(0);
}

namespace detail {
template <class Forward>
running_metrics evaluation_sums(Forward&& forward, device_batches const& data,
                                std::int64_t batch_size, int rank, int ranks,
                                TtaParams const& tta = {}) {
    torch::NoGradGuard no_grad;
    running_metrics m(data.data().labels.device());
    for (std::int64_t i = rank, n = data.count(batch_size, false); i < n; i += ranks) {
        auto b = data.get(i, batch_size);
        auto logits = tta_logits(forward, b.x, tta);
        m.add(evaluation_loss(logits, b.y), logits, b.y);
    }
    return m;
}
} // namespace detail

//! The sums of `model`'s unsmoothed cross-entropy and correct predictions (eval mode, no
//! gradients) on its share of `data`, in batches of `batch_size`: with `ranks` > 1, every
//! `ranks`-th batch from batch `rank` (a data-parallel run's share, which the caller sums
//! over the ranks); with 1, every batch. With `tta`, the logits are averaged over its
//! views first.
inline running_metrics evaluation_sums(backbone_network& model, device_batches const& data,
                                       std::int64_t batch_size, int rank = 0, int ranks = 1,
                                       TtaParams const& tta = {}) {
    model.module().eval();
    return detail::evaluation_sums([&](torch::Tensor const& x) { return model.forward(x); },
                                   data, batch_size, rank, ranks, tta);
}

//! The same for a module holder (`models::ResNet`, ...).
template <class Module>
running_metrics evaluation_sums(Module& model, device_batches const& data,
                                std::int64_t batch_size, int rank = 0, int ranks = 1) {
    model->eval();
    return detail::evaluation_sums(
        [&](torch::Tensor const& x) { return model->forward(x); }, data, batch_size, rank,
        ranks);
}

//! Every example's true class, predicted class (the argmax) and unsmoothed cross-entropy
//! under `model` (eval mode, no gradients; with `tta`, over its views), in `data`'s
//! order: what the per-class report is made of. Read to the host once, at the end.
inline prediction_set predictions(backbone_network& model, device_batches const& data,
                                  std::int64_t batch_size, TtaParams const& tta = {}) {
    model.module().eval();
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> labels, predicted, losses;
    for (std::int64_t i = 0, n = data.count(batch_size, false); i < n; ++i) {
        auto b = data.get(i, batch_size);
        auto logits =
            tta_logits([&](torch::Tensor const& x) { return model.forward(x); }, b.x, tta);
        labels.push_back(b.y);
        predicted.push_back(logits.argmax(1));
        // evaluation_loss's, per example: their mean is the test loss.
        losses.push_back(torch::nn::functional::cross_entropy(
            logits, b.y,
            torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone)));
    }
    prediction_set p;
    if (labels.empty())
        return p;
    auto const y = to_host(torch::cat(labels), torch::kInt32);
    auto const q = to_host(torch::cat(predicted), torch::kInt32);
    auto const l = to_host(torch::cat(losses), torch::kFloat64);
    p.labels.assign(y.data_ptr<int>(), y.data_ptr<int>() + y.numel());
    p.predicted.assign(q.data_ptr<int>(), q.data_ptr<int>() + q.numel());
    p.losses.assign(l.data_ptr<double>(), l.data_ptr<double>() + l.numel());
    return p;
}

//! The unsmoothed cross-entropy and the accuracy of `model` (eval mode, no gradients) on
//! every example of `data`, in batches of `batch_size`.
template <class Module>
std::pair<double, double> evaluate(Module& model, device_batches const& data,
                                   std::int64_t batch_size) {
    return evaluation_sums(model, data, batch_size).read();
}

} // namespace pipeline
