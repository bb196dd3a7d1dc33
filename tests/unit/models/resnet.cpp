// models/resnet: torchvision's parameter names and shapes, the 1-channel stem, the head
// sized from the class count.
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <doctest/doctest.h>
#include <torch/torch.h>

#include <pipeline/dsl/backbones.hpp>
#include <pipeline/models/backbone.hpp>

using namespace pipeline;

namespace {
std::string shape_of(torch::Tensor const& t) {
    if (t.dim() == 0)
        return "scalar";
    std::string s;
    for (auto d : t.sizes())
        s += (s.empty() ? "" : "x") + std::to_string(d);
    return s;
}

//! name -> shape of every parameter and buffer, as torchvision's state_dict() lists them.
std::map<std::string, std::string> state_dict_shapes(torch::nn::Module const& m) {
    std::map<std::string, std::string> out;
    for (auto const& p : m.named_parameters())
        out[p.key()] = shape_of(p.value());
    for (auto const& b : m.named_buffers())
        out[b.key()] = shape_of(b.value());
    return out;
}
} // namespace

TEST_CASE("models/resnet: ResNet-18's state dict equals torchvision's, name for name") {
    // tests/data/resnet18_state_dict.txt: `torchvision.models.resnet18(num_classes=10)
    // .state_dict()`, one "name shape" per line, written by torchvision 0.14.
    std::ifstream in(std::string(PIPELINE_TEST_DATA) + "/resnet18_state_dict.txt");
    REQUIRE(in.good());
    std::map<std::string, std::string> expected;
    for (std::string name, shape; in >> name >> shape;)
        expected[name] = shape;
    REQUIRE(expected.size() == 122);
    auto model = make_backbone<ResNet18>({3, 10});
    CHECK(state_dict_shapes(*model) == expected);
}

TEST_CASE("models/resnet: 1-channel input adapts conv1; the head follows the classes") {
    auto model = make_backbone<ResNet18>({1, 7});
    CHECK(model->conv1->weight.sizes() == torch::IntArrayRef{64, 1, 7, 7});
    CHECK(model->fc->weight.sizes() == torch::IntArrayRef{7, 512});
    model->eval();
    torch::NoGradGuard no_grad;
    auto y = model->forward(torch::randn({2, 1, 28, 28}));
    CHECK(y.sizes() == torch::IntArrayRef{2, 7});
    CHECK(torch::isfinite(y).all().item<bool>());
}

TEST_CASE("models/resnet: ResNet-34 and ResNet-50 have torchvision's parameter counts") {
    auto count = [](torch::nn::Module const& m) {
        std::int64_t n = 0;
        for (auto const& p : m.parameters())
            n += p.numel();
        return n;
    };
    // torchvision: sum(p.numel() for p in resnetXX().parameters()) with 1000 classes.
    CHECK(count(*make_backbone<ResNet18>({3, 1000})) == 11689512);
    CHECK(count(*make_backbone<ResNet34>({3, 1000})) == 21797672);
    CHECK(count(*make_backbone<ResNet50>({3, 1000})) == 25557032);
    auto r50 = make_backbone<ResNet50>({3, 1000});
    auto names = state_dict_shapes(*r50);
    CHECK(names.at("layer1.0.downsample.0.weight") == "256x64x1x1");
    CHECK(names.at("layer4.2.conv3.weight") == "2048x512x1x1");
}

TEST_CASE("models/resnet: block by block honours CifarStem and HeadDropout") {
    // The frozen prefix of a run goes through forward_block: it must be the same network
    // as forward, stem variant and head dropout included.
    model_config c;
    c.in_channels = 3;
    c.num_classes = 10;
    c.cifar_stem = true;
    c.head_dropout = 0.5;
    auto model = make_backbone<ResNet18>(c);
    auto const x = torch::randn({2, 3, 32, 32});
    torch::NoGradGuard no_grad;
    CHECK(model->forward_block(0, x).size(2) == 32); // no max-pool after the 3x3 stem
    model->eval();
    auto y = x;
    for (std::size_t b = 0; b < model->block_count(); ++b)
        y = model->forward_block(b, y);
    CHECK(torch::equal(y, model->forward(x)));
    model->train();
    auto const layer4_out = torch::randn({4, 512, 2, 2});
    CHECK_FALSE(torch::equal(model->forward_block(5, layer4_out),
                             model->forward_block(5, layer4_out)));
}
