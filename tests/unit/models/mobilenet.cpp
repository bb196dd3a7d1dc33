// models/mobilenet: torchvision's (and timm's, for v1) parameter counts, the head sized
// from the class count, 1-channel stems, and the named blocks: every parameter and buffer
// of every backbone belongs to exactly one block. (Name-for-name equality with torchvision
// is the parity test's strict load, tests/parity/.)
#include <map>
#include <string>
#include <vector>

#include <boost/hana/for_each.hpp>
#include <doctest/doctest.h>
#include <torch/torch.h>

#include <pipeline/dsl/backbones.hpp>
#include <pipeline/models/backbone.hpp>

using namespace pipeline;

namespace {
std::int64_t count(torch::nn::Module const& m) {
    std::int64_t n = 0;
    for (auto const& p : m.parameters())
        n += p.numel();
    return n;
}

std::vector<std::string> state_names(torch::nn::Module const& m) {
    std::vector<std::string> out;
    for (auto const& p : m.named_parameters())
        out.push_back(p.key());
    for (auto const& b : m.named_buffers())
        out.push_back(b.key());
    return out;
}

//! name -> the blocks whose prefixes claim it.
template <class B>
std::map<std::string, std::vector<std::string>> owners() {
    auto model = make_backbone<B>({3, 10});
    std::map<std::string, std::vector<std::string>> out;
    for (auto const& name : state_names(*model))
        out[name];
    boost::hana::for_each(B::blocks, [&](auto t) {
        using Block = typename decltype(t)::type;
        auto const block = name_of<Block>();
        auto const prefixes = B::parameter_prefixes(block);
        CHECK_MESSAGE(!prefixes.empty(), B::name() << ": " << block << " owns nothing");
        for (auto& [name, blocks] : out)
            for (auto p : prefixes)
                if (name.rfind(p, 0) == 0)
                    blocks.push_back(block);
    });
    return out;
}

template <class B>
void check_blocks_partition() {
    for (auto const& [name, blocks] : owners<B>()) {
        CAPTURE(B::name());
        CAPTURE(name);
        CHECK(blocks.size() == 1);
    }
}
} // namespace

TEST_CASE("models/mobilenet: parameter counts equal torchvision's and timm's") {
    // sum(p.numel() for p in torchvision.models.X().parameters()), 1000 classes; v1: timm's
    // mobilenetv1_100.
    CHECK(count(*make_backbone<MobileNetV1>({3, 1000})) == 4231976);
    CHECK(count(*make_backbone<MobileNetV2>({3, 1000})) == 3504872);
    CHECK(count(*make_backbone<MobileNetV3Small>({3, 1000})) == 2542856);
    CHECK(count(*make_backbone<MobileNetV3Large>({3, 1000})) == 5483032);
    CHECK(state_names(*make_backbone<MobileNetV2>({3, 1000})).size() == 314);
    CHECK(state_names(*make_backbone<MobileNetV3Small>({3, 1000})).size() == 244);
    CHECK(state_names(*make_backbone<MobileNetV3Large>({3, 1000})).size() == 312);
}

TEST_CASE("models/mobilenet: 1-channel stems and class-count heads run forward") {
    torch::NoGradGuard no_grad;
    auto v1 = make_backbone<MobileNetV1>({1, 7});
    CHECK(v1->conv_stem->weight.sizes() == torch::IntArrayRef{32, 1, 3, 3});
    v1->eval();
    CHECK(v1->forward(torch::randn({2, 1, 32, 32})).sizes() == torch::IntArrayRef{2, 7});
    CHECK(v1->forward_features(torch::randn({1, 1, 96, 96}), 3).sizes()
          == torch::IntArrayRef{1, 512, 6, 6});
    auto v3 = make_backbone<MobileNetV3Small>({1, 5});
    v3->eval();
    CHECK(v3->forward(torch::randn({2, 1, 32, 32})).sizes() == torch::IntArrayRef{2, 5});
}

TEST_CASE("models/mobilenet: every parameter belongs to exactly one named block") {
    check_blocks_partition<ResNet18>();
    check_blocks_partition<ResNet50>();
    check_blocks_partition<MobileNetV1>();
    check_blocks_partition<MobileNetV2>();
    check_blocks_partition<MobileNetV3Small>();
    check_blocks_partition<MobileNetV3Large>();
}

TEST_CASE("models/mobilenet: head dropout follows torchvision unless HeadDropout says") {
    auto v2 = make_backbone<MobileNetV2>({3, 10});
    auto const* d = v2->classifier[0]->as<torch::nn::Dropout>();
    REQUIRE(d != nullptr);
    CHECK(d->options.p() == doctest::Approx(0.2));
    model_config c{3, 10};
    c.head_dropout = 0.5;
    auto v2b = make_backbone<MobileNetV2>(c);
    CHECK(v2b->classifier[0]->as<torch::nn::Dropout>()->options.p()
          == doctest::Approx(0.5));
    // ResNet: dropout is functional before fc; in training mode it changes the logits.
    c.head_dropout = 0.5;
    auto r = make_backbone<ResNet18>(c);
    r->train();
    torch::NoGradGuard no_grad;
    auto x = torch::randn({4, 3, 32, 32});
    torch::manual_seed(0);
    auto a = r->forward(x);
    torch::manual_seed(1);
    auto b = r->forward(x);
    CHECK_FALSE(torch::allclose(a, b));
}
