// What `fit` sees: an experiment's type taken apart at compile time, the way
// include/pipeline/train/fit.hpp begins (docs/design.md quotes the marked lines). Omitted
// stages come back as their defaults. It needs only the type layer and trains nothing:
// build/examples/inspect_experiment prints what each stage resolved to.
#include <iostream>
#include <type_traits>

#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto experiment = Load<FashionMNIST>
                          | Model<ResNet18>
                          | Loss<CrossEntropy>;
// clang-format on

template <class... S>
void inspect(Pipeline<S...>) {
    // [docs:fit_stages]
    using P = resolved_t<Pipeline<S...>>;
    using D = typename stage_t<stage_kind::load, P>::dataset;   // FashionMNIST
    using B = typename stage_t<stage_kind::model, P>::backbone; // ResNet18
    using L = typename stage_t<stage_kind::loss, P>::loss;      // CrossEntropy
    constexpr TrainParams train = stage_t<stage_kind::train, P>::params;
    // [docs:end]
    static_assert(std::is_same_v<D, FashionMNIST>);
    static_assert(std::is_same_v<B, ResNet18>);
    static_assert(std::is_same_v<L, CrossEntropy>);
    static_assert(train.epochs == TrainParams{}.epochs, "Train<> is the default");
    std::cout << "experiment: " << describe(P{}) << "\n"
              << "dataset:    " << name_of<D>() << " (" << D::channels << " channel(s), "
              << D::classes << " classes)\n"
              << "backbone:   " << name_of<B>() << "\n"
              << "loss:       " << name_of<L>() << "\n"
              << "train:      " << train.epochs << " epochs, batches of "
              << train.batch_size << "\n";
}

int main() {
    inspect(experiment);
    return 0;
}
