// parity/torchvision: the same weights in, the same logits out. make_fixtures.py builds
// each torchvision architecture with random weights (and randomised BatchNorm statistics)
// and saves weights, an input and torchvision's logits; this test loads the weights
// strictly (head included), runs the input in eval mode and compares: max abs difference
// <= 1e-4 in float32. Both file formats (safetensors, torch.save zip) go through the
// loader. On a CUDA machine the same runs on the GPU (TF32 off), and in bfloat16.
#include <filesystem>
#include <string>

#include <doctest/doctest.h>
#include <torch/torch.h>

#include <pipeline/compat.hpp>
#include <pipeline/error.hpp>
#include <pipeline/io/safetensors.hpp>
#include <pipeline/models/backbone.hpp>
#include <pipeline/models/pretrained.hpp>

using namespace pipeline;
namespace fs = std::filesystem;

namespace {
fs::path fixtures() {
    return fs::path(PIPELINE_PARITY_DIR);
}

template <class B>
void check_parity(std::string const& arch) {
    auto const io_path = fixtures() / (arch + ".io.safetensors");
    REQUIRE_MESSAGE(fs::exists(io_path), "fixtures missing: run through ctest (the "
                                         "parity/fixtures test writes them)");
    auto const io = read_safetensors(io_path);
    auto const input = *io.find("input");
    auto const expected = *io.find("logits");
    for (std::string ext : {".safetensors", ".pth"}) {
        CAPTURE(arch + ext);
        torch::manual_seed(123); // different from the fixture's: nothing may stay fresh
        auto model = make_backbone<B>({3, 10});
        auto const w = read_weights(fixtures() / (arch + ext), imagenet_statistics.mean, imagenet_statistics.std);
        load_spec spec; // strict, head included
        spec.stem_conv = std::string(B::stem_conv);
        auto const report = load_weights(*model, w, spec);
        CHECK(report.missing.empty());
        CHECK(report.unexpected.empty());
        CHECK(report.mismatched.empty());
        model->eval();
        torch::NoGradGuard no_grad;
        auto const y = model->forward(input);
        REQUIRE(y.sizes() == expected.sizes());
        double const diff = (y - expected).abs().max().template item<double>();
        MESSAGE(arch << ext << ": max |logits - torchvision| = " << diff
                     << " (cpu, float32)");
        CHECK(diff <= 1e-4);

        if (ext == ".safetensors" && compat::cuda_available()) {
            at::globalContext().setAllowTF32CuDNN(false);
            at::globalContext().setAllowTF32CuBLAS(false);
            torch::Device const cuda(torch::kCUDA, 0);
            model->to(cuda);
            auto const yc = model->forward(input.to(cuda)).cpu();
            double const dc = (yc - expected).abs().max().template item<double>();
            MESSAGE(arch << ": max |logits - torchvision| = " << dc << " (cuda, float32)");
            CHECK(dc <= 1e-4);
            model->to(torch::kBFloat16);
            auto const yb =
                model->forward(input.to(cuda, torch::kBFloat16)).to(torch::kFloat32).cpu();
            double const db = (yb - expected).abs().max().template item<double>();
            double const scale = expected.abs().max().template item<double>();
            MESSAGE(arch << ": max |logits - torchvision| = " << db << " (cuda, bfloat16; "
                         << "logits up to " << scale << ")");
            // bfloat16 keeps 8 bits of mantissa: allow 10% of the logits' range.
            CHECK(db <= 0.1 * scale + 1e-3);
        }
    }
}
} // namespace

TEST_CASE("parity/torchvision: resnet18") {
    check_parity<ResNet18>("resnet18");
}
TEST_CASE("parity/torchvision: resnet34") {
    check_parity<ResNet34>("resnet34");
}
TEST_CASE("parity/torchvision: resnet50") {
    check_parity<ResNet50>("resnet50");
}
TEST_CASE("parity/torchvision: mobilenet_v2") {
    check_parity<MobileNetV2>("mobilenet_v2");
}
TEST_CASE("parity/torchvision: mobilenet_v3_small") {
    check_parity<MobileNetV3Small>("mobilenet_v3_small");
}
TEST_CASE("parity/torchvision: mobilenet_v3_large") {
    check_parity<MobileNetV3Large>("mobilenet_v3_large");
}

TEST_CASE("parity/torchvision: a legacy (non-zip) .pth is refused with the re-save line") {
    auto const path = fixtures() / "resnet18.legacy.pth";
    REQUIRE(fs::exists(path));
    CHECK_THROWS_WITH_AS(
        read_weights(path, imagenet_statistics.mean, imagenet_statistics.std),
        doctest::Contains("legacy (non-zip) torch.save file; re-save it "
                          "once with: python3 -c \"import torch; torch.save("
                          "torch.load('"),
        pipeline::error);
}

TEST_CASE("parity/torchvision: a ResNet-50 file given to ResNet-18 lists what differs") {
    auto model = make_backbone<ResNet18>({3, 10});
    auto const w =
        read_weights(fixtures() / "resnet50.safetensors", imagenet_statistics.mean, imagenet_statistics.std);
    load_spec spec;
    spec.skip_prefixes = {"fc."};
    try {
        load_weights(*model, w, spec);
        FAIL("no error");
    } catch (pipeline::error const& e) {
        std::string const what = e.what();
        CHECK(what.find("resnet50.safetensors") != std::string::npos);
        CHECK(what.find("unexpected: layer1.0.conv3.weight") != std::string::npos);
        CHECK(what.find("mis-shaped: layer1.0.conv1.weight (file [64, 64, 1, 1], model "
                        "[64, 64, 3, 3])")
              != std::string::npos);
        CHECK(what.find("missing: none") != std::string::npos);
    }
}
