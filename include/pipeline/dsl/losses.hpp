// Loss tags. Torch-free: the tensors live in pipeline/train/loss.hpp.
#pragma once

#include <string>

#include <pipeline/dsl/fixed_string.hpp>
#include <pipeline/dsl/tags.hpp>

namespace pipeline {

//! Softmax cross-entropy against hard labels.
struct CrossEntropy : loss_tag, named<"CrossEntropy"> {
    static constexpr double smoothing = 0.0;
};

//! Cross-entropy with label smoothing `Eps`: the target puts 1 - Eps on the true class and
//! spreads Eps evenly over all classes (PyTorch's `label_smoothing`).
template <double Eps>
struct SmoothedCE : loss_tag {
    // Eps = 1 would make every target uniform and the loss independent of the label.
    static_assert(Eps >= 0.0 && Eps < 1.0,
                  "pipeline: SmoothedCE<eps> needs 0 <= eps < 1 (eps is the probability "
                  "mass spread over all classes; 0.1 is the usual choice)");
    static constexpr double smoothing = Eps;
    static std::string name() { return "SmoothedCE<" + detail::format_number(Eps) + ">"; }
};

} // namespace pipeline
