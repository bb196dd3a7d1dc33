// The canonical one-line form of a pipeline, printed at the top of every run and stored
// with its results. Torch-free.
#pragma once

#include <string>

#include <pipeline/dsl/pipeline.hpp>

namespace pipeline {

//! The stages exactly as written: `Load<FashionMNIST> | Model<ResNet18> | ...`.
template <class... S>
std::string describe_as_written(Pipeline<S...>) {
    std::string out;
    ((out += (out.empty() ? "" : " | ") + S::name()), ...);
    return out;
}

//! The canonical form: the stages in data-flow order with the defaults of omitted
//! Optimizer, Schedule and Train filled in, hyperparameters printed as the designated
//! initialisers that differ from their defaults. Two pipelines that run the same
//! experiment print the same line.
//!
//!     constexpr auto p = Load<FashionMNIST>
//!                      | Model<ResNet18>
//!                      | Loss<CrossEntropy>;
//!     describe(p); // "Load<FashionMNIST> | Model<ResNet18> | Loss<CrossEntropy> |
//!                  //  Optimizer<SGD> | Schedule<Cosine> | Train<>"
template <class... S>
std::string describe(Pipeline<S...> p) {
    return describe_as_written(resolved_t<decltype(p)>{});
}

} // namespace pipeline
