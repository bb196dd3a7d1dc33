// Loss tags. Torch-free: the tensors live in pipeline/train/loss.hpp.
#pragma once

#include <string>

#include <pipeline/dsl/fixed_string.hpp>
#include <pipeline/dsl/tags.hpp>

namespace pipeline {

//! Softmax cross-entropy against hard labels (class indices only: with MixUp or CutMix,
//! use SoftTargetCE or SmoothedCE<eps>).
struct CrossEntropy : loss_tag, named<"CrossEntropy"> {
    static constexpr double smoothing = 0.0;
    static constexpr bool accepts_soft_targets = false;
};

//! Cross-entropy against a target distribution per example, -sum(t * log_softmax(z)):
//! the loss for MixUp and CutMix (timm's SoftTargetCrossEntropy). Hard labels are read as
//! one-hot targets, where it equals CrossEntropy.
struct SoftTargetCE : loss_tag, named<"SoftTargetCE"> {
    static constexpr double smoothing = 0.0;
    static constexpr bool accepts_soft_targets = true;
};

//! Cross-entropy with label smoothing `Eps`: the target puts 1 - Eps on the true class and
//! spreads Eps evenly over all classes (PyTorch's `label_smoothing`). Accepts hard labels
//! and soft targets.
template <double Eps>
struct SmoothedCE : loss_tag {
    // Eps = 1 would make every target uniform and the loss independent of the label.
    static_assert(Eps >= 0.0 && Eps < 1.0,
                  "pipeline: SmoothedCE<eps> needs 0 <= eps < 1 (eps is the probability "
                  "mass spread over all classes; 0.1 is the usual choice)");
    static constexpr double smoothing = Eps;
    //! Soft targets (from MixUp, CutMix) are smoothed the same way: t (1 - eps) + eps / K.
    static constexpr bool accepts_soft_targets = true;
    static std::string name() { return "SmoothedCE<" + detail::format_number(Eps) + ">"; }
};

} // namespace pipeline
