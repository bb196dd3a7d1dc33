// A user's own stages: an augmentation (random brightness) and a backbone (a small conv
// net of its own family), trained for a few steps through the same `run` as the built-in
// stages. Built both ways by tests/cmake/consumer.cmake: against the compiled core (only
// these stages' code is compiled here) and header-only.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <pipeline/extend.hpp>

namespace my {

//! Scales each image's intensity by a factor drawn from [0.8, 1.2].
struct Brightness : pipeline::augmentation_tag, pipeline::named<"Brightness"> {};

struct tiny_family {};

//! Two blocks: a conv stem, and a pooled linear head.
struct TinyNet : pipeline::backbone_descriptor<"TinyNet", tiny_family,
                                               pipeline::owns<pipeline::Stem, "stem.">,
                                               pipeline::owns<pipeline::Head, "head.">> {
    static constexpr int features = 8;
    static constexpr std::string_view replaced_head = "head.";
    static constexpr std::string_view stem_conv = "stem.weight";
    static constexpr std::string_view weights_name = "tinynet";
};

struct TinyNetModuleImpl : torch::nn::Module {
    explicit TinyNetModuleImpl(pipeline::model_config const& c)
        : stem(register_module(
            "stem",
            torch::nn::Conv2d(
                torch::nn::Conv2dOptions(c.in_channels, 8, 3).stride(2).padding(1))))
        , head(register_module("head", torch::nn::Linear(8, c.num_classes))) {}

    std::size_t block_count() const { return 2; }
    torch::Tensor forward_block(std::size_t block, torch::Tensor x) {
        if (block == 0)
            return torch::relu(stem(x));
        return head(torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1));
    }
    torch::Tensor forward(torch::Tensor x) { return forward_block(1, forward_block(0, x)); }

    torch::nn::Conv2d stem;
    torch::nn::Linear head;
};
TORCH_MODULE(TinyNetModule);

} // namespace my

template <>
struct pipeline::augmentation_impl<my::Brightness> {
    static torch::Tensor train(torch::Tensor const& x, torch::Generator& gen) {
        auto const factor = detail::uniform(x.size(0), gen, x.device()) * 0.4 + 0.8;
        return x * factor.view({-1, 1, 1, 1});
    }
    static torch::Tensor eval(torch::Tensor const& x) { return x; }
};

template <class B>
requires std::same_as<typename B::family, my::tiny_family>
struct pipeline::backbone_builder<B> {
    using module_type = my::TinyNetModule;
    static module_type make(pipeline::model_config const& c) { return module_type(c); }
};

using namespace pipeline;

// clang-format off
constexpr auto experiment = Load<FashionMNIST, Subset<1024>, Split<0.25>>
                          | Augment<RandomCrop<28, 2>>
                          | Augment<my::Brightness>
                          | Model<my::TinyNet>
                          | Loss<CrossEntropy>
                          | Optimizer<SGD, {.lr = 0.1}>
                          | Schedule<Cosine>
                          | Train<{.epochs = 2, .batch_size = 64}>;
// clang-format on

int main(int argc, char** argv) {
    return run(experiment, argc, argv);
}
