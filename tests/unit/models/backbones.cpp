// models/backbones: what every backbone descriptor and its module must agree on (the
// contract of concepts/backbone.hpp): the module runs the descriptor's blocks one at a
// time, the chain of blocks is the whole forward pass, and block i uses exactly the
// parameters the descriptor says it owns.
#include <cstddef>
#include <set>
#include <string>

#include <boost/hana/for_each.hpp>
#include <boost/hana/tuple.hpp>
#include <doctest/doctest.h>
#include <torch/torch.h>

#include <pipeline/models/backbone.hpp>

using namespace pipeline;

namespace {

//! The parameter names block `block` of B owns, by the descriptor's prefixes.
template <class B>
std::set<std::string> owned(torch::nn::Module const& model, std::string_view block) {
    std::set<std::string> out;
    for (auto const& p : model.named_parameters())
        for (auto prefix : B::parameter_prefixes(block))
            if (p.key().rfind(prefix, 0) == 0)
                out.insert(p.key());
    return out;
}

template <class B>
void check_backbone() {
    static_assert(buildable_backbone<B>);
    CAPTURE(B::name());
    torch::manual_seed(0);
    auto model = make_backbone<B>({3, 10});
    REQUIRE(model->block_count() == B::block_count);
    auto const x = torch::randn({2, 3, 64, 64});

    // Evaluation mode: the chain of blocks is forward(x), bit for bit.
    model->eval();
    {
        torch::NoGradGuard no_grad;
        auto y = x;
        for (std::size_t b = 0; b < model->block_count(); ++b)
            y = model->forward_block(b, y);
        CHECK(torch::equal(y, model->forward(x)));
    }

    // Block i takes gradients into exactly the parameters it owns.
    model->train();
    auto input = x;
    for (std::size_t b = 0; b < model->block_count(); ++b) {
        auto const block = B::block_names[b];
        CAPTURE(block);
        for (auto& p : model->parameters())
            p.mutable_grad() = torch::Tensor();
        model->forward_block(b, input).sum().backward();
        std::set<std::string> touched;
        for (auto const& p : model->named_parameters())
            if (p.value().grad().defined())
                touched.insert(p.key());
        CHECK(touched == owned<B>(*model, block));
        torch::NoGradGuard no_grad;
        input = model->forward_block(b, input);
    }
}

} // namespace

TEST_CASE("models/backbones: every module runs its descriptor's blocks, each owning its "
          "parameters") {
    check_backbone<ResNet18>();
    check_backbone<ResNet50>();
    check_backbone<MobileNetV1>();
    check_backbone<MobileNetV2>();
    check_backbone<MobileNetV3Small>();
    check_backbone<MobileNetV3Large>();
}

TEST_CASE("models/backbones: descriptors name their weights files and statistics") {
    // The default naming, stated once in the descriptor base, and a descriptor's own.
    auto const files = [](spec::backbone const& b) { return b.imagenet_files(); };
    CHECK(files(pipeline::detail::backbone_record<ResNet18>())
          == std::vector<std::string>{"resnet18.imagenet.safetensors",
                                      "resnet18.imagenet.pth"});
    CHECK(files(pipeline::detail::backbone_record<ResNet34>()).front()
          == "resnet34.imagenet.safetensors");
    CHECK(files(pipeline::detail::backbone_record<ResNet50>()).front()
          == "resnet50.imagenet.safetensors");
    CHECK(files(pipeline::detail::backbone_record<MobileNetV1>()).back()
          == "mobilenetv1_100.imagenet.partial.safetensors");
    CHECK(files(pipeline::detail::backbone_record<MobileNetV3Large>()).front()
          == "mobilenet_v3_large.imagenet.safetensors");
    CHECK(pipeline::detail::backbone_record<MobileNetV2>().default_head_dropout == 0.2);
    CHECK(pipeline::detail::backbone_record<ResNet18>().default_head_dropout == 0.0);
    CHECK(ResNet18::supports_cifar_stem);
    CHECK_FALSE(MobileNetV2::supports_cifar_stem);
    CHECK(MobileNetV1::statistics.mean[0] == 0.5);
    CHECK(MobileNetV2::statistics.std[2] == 0.225);
}
