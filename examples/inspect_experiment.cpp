// What `fit` sees: an experiment's type taken apart at compile time by
// `experiment_types<P>` (include/pipeline/dsl/experiment.hpp), which fit, the trainer and
// the tests all use (docs/design.md quotes the marked lines). Omitted stages come back as
// their defaults. It needs only the type layer and trains nothing:
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
    using X = experiment_types<Pipeline<S...>>;
    using P = typename X::pipeline; // the stages with the defaults filled in
    using D = typename X::dataset;  // FashionMNIST
    using B = typename X::backbone; // ResNet18
    using L = typename X::loss;     // CrossEntropy
    constexpr TrainParams train = X::train;
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
