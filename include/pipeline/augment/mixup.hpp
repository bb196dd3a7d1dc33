// Augment<MixUp>, Augment<CutMix>, Augment<MixUpCutMix> (tuned as Augment<MixUp, {...}>):
// each example is mixed with its neighbour in the (already shuffled) batch, with its own
// coefficient l ~ Beta(alpha, alpha) drawn on the device, and the targets become the
// matching distributions. Works for any batch size: with B = 1 the example is its own
// partner.
#pragma once

#include <cstdint>

#include <torch/torch.h>

#include <pipeline/augment/augmentation.hpp>
#include <pipeline/dsl/augmentations.hpp>

namespace pipeline {

//! A mixed batch: images, soft targets [B, K] (rows sum to 1), and the weight of each
//! example's own image and label (`lambda`, [B]); the rest comes from `partner`.
struct mixed_batch {
    torch::Tensor x;
    torch::Tensor target;
    torch::Tensor lambda;
    torch::Tensor partner;
};

namespace detail {

//! [n] draws from Beta(alpha, alpha) on `device`: g1 / (g1 + g2) with gi ~ Gamma(alpha).
inline torch::Tensor beta(double alpha, std::int64_t n, torch::Generator& gen,
                          torch::Device const& device) {
    auto a = torch::full({n}, alpha,
                         torch::TensorOptions().dtype(torch::kFloat32).device(device));
    auto g1 = torch::_standard_gamma(a, gen);
    auto g2 = torch::_standard_gamma(a, gen);
    // Both draws underflow to 0 only for tiny alpha; call that an even mix.
    auto sum = g1 + g2;
    return torch::where(sum > 0, g1 / sum.clamp_min(1e-30), torch::full_like(sum, 0.5));
}

//! One-hot targets [B, K] with label smoothing eps: 1 - eps + eps / K on the label.
inline torch::Tensor smoothed_one_hot(torch::Tensor const& labels, int classes,
                                      double eps) {
    auto t = torch::nn::functional::one_hot(labels, classes).to(torch::kFloat32);
    if (eps > 0.0)
        t = t * (1.0 - eps) + eps / classes;
    return t;
}

//! CutMix boxes: [B, 1, H, W] masks of the pasted area (area about 1 - lambda per
//! example, clipped at the border as timm does) and the exact kept fraction per example.
inline std::pair<torch::Tensor, torch::Tensor> cutmix_boxes(torch::Tensor const& lambda,
                                                            std::int64_t h, std::int64_t w,
                                                            torch::Generator& gen) {
    auto const b = lambda.size(0);
    auto const device = lambda.device();
    auto ratio = (1.0 - lambda).clamp_min(0.0).sqrt();
    auto cut_h = (ratio * static_cast<double>(h)).floor().to(torch::kInt64);
    auto cut_w = (ratio * static_cast<double>(w)).floor().to(torch::kInt64);
    auto cy = uniform_int(b, h, gen, device);
    auto cx = uniform_int(b, w, gen, device);
    auto y0 = (cy - cut_h.div(2, "floor")).clamp(0, h);
    auto y1 = (cy + cut_h.div(2, "floor")).clamp(0, h);
    auto x0 = (cx - cut_w.div(2, "floor")).clamp(0, w);
    auto x1 = (cx + cut_w.div(2, "floor")).clamp(0, w);
    auto rows = span_mask(y0, y1 - y0, h);
    auto cols = span_mask(x0, x1 - x0, w);
    auto box = rows.view({b, 1, h, 1}).logical_and(cols.view({b, 1, 1, w}));
    auto area = ((y1 - y0) * (x1 - x0)).to(torch::kFloat32);
    auto kept = 1.0 - area / static_cast<double>(h * w);
    return {box, kept};
}

} // namespace detail

//! Mixes batch `x` (float [B, C, H, W]) with labels `labels` (int64 [B]) as `P` says:
//! MixUp where `mixup_alpha` > 0, CutMix where `cutmix_alpha` > 0, per example CutMix
//! with probability `switch_prob` when both are.
inline mixed_batch mix(MixParams const& P, torch::Tensor const& x,
                       torch::Tensor const& labels, int classes, torch::Generator& gen) {
    auto const b = x.size(0);
    auto const device = x.device();
    // Each example's partner is its neighbour in the shuffled batch (itself when B = 1).
    auto partner = torch::arange(b, labels.options()).add(b - 1).remainder(b);
    auto x_other = x.index_select(0, partner);
    torch::Tensor out;
    torch::Tensor lambda;
    torch::Tensor mixup_x;
    torch::Tensor mixup_lambda;
    if (P.mixup_alpha > 0.0) {
        mixup_lambda = detail::beta(P.mixup_alpha, b, gen, device);
        auto l = mixup_lambda.view({b, 1, 1, 1});
        mixup_x = x * l + x_other * (1.0 - l);
        out = mixup_x;
        lambda = mixup_lambda;
    }
    if (P.cutmix_alpha > 0.0) {
        auto drawn = detail::beta(P.cutmix_alpha, b, gen, device);
        auto [box, kept] = detail::cutmix_boxes(drawn, x.size(2), x.size(3), gen);
        auto cut_x = torch::where(box, x_other, x);
        if (P.mixup_alpha > 0.0) {
            auto use_cut = detail::uniform(b, gen, device).lt(P.switch_prob);
            out = torch::where(use_cut.view({b, 1, 1, 1}), cut_x, mixup_x);
            lambda = torch::where(use_cut, kept, mixup_lambda);
        } else {
            out = cut_x;
            lambda = kept;
        }
    }
    auto own = detail::smoothed_one_hot(labels, classes, P.smoothing);
    auto other = own.index_select(0, partner);
    auto l = lambda.unsqueeze(1);
    return {out, own * l + other * (1.0 - l), lambda, partner};
}

//! `mix` with the parameters of a mixing stage's type: `mix<MixUp::mixing>(x, y, 10, gen)`.
template <MixParams P>
mixed_batch mix(torch::Tensor const& x, torch::Tensor const& labels, int classes,
                torch::Generator& gen) {
    return mix(P, x, labels, classes, gen);
}

} // namespace pipeline
