// models/mobilenet_v1_weights: timm's mobilenetv1_100 ImageNet weights from shared/data
// (skipped, visibly, when absent). The file lacks blocks.4.1.conv_pw.weight: strict
// loading refuses it by name; NonStrict loads the rest and says that one stayed fresh.
#include <filesystem>
#include <sstream>
#include <string>

#include <doctest/doctest.h>
#include <torch/torch.h>

#include <pipeline/all.hpp>

#include "../support.hpp"

using namespace pipeline;
namespace fs = std::filesystem;

namespace {
std::optional<fs::path> shared_dir() {
    fs::path const dir = testing::shared_data_dir();
    if (fs::exists(dir / "mobilenetv1_100.imagenet.partial.safetensors"))
        return dir;
    return std::nullopt;
}
} // namespace

TEST_CASE("models/mobilenet_v1_weights: strict loading names the missing tensor") {
    auto const dir = shared_dir();
    if (!dir) {
        MESSAGE("SKIPPED: mobilenetv1_100.imagenet.partial.safetensors is not in "
                << testing::shared_data_dir().string());
        return;
    }
    using strict = decltype(Model<MobileNetV1, Pretrained<ImageNet>>);
    auto const w = pretrained_weights<strict>(*dir);
    REQUIRE(w);
    CHECK(w->path.filename() == "mobilenetv1_100.imagenet.partial.safetensors");
    CHECK(w->mean == std::vector<double>{0.5, 0.5, 0.5});
    CHECK(w->std == std::vector<double>{0.5, 0.5, 0.5});
    CHECK_THROWS_WITH_AS(
        make_model<strict>(3, 10, &*w, nullptr),
        doctest::Contains("missing: blocks.4.1.conv_pw.weight; unexpected: "
                          "none; mis-shaped: none"),
        pipeline::error);
}

TEST_CASE(
    "models/mobilenet_v1_weights: NonStrict loads the rest and reports the one left") {
    auto const dir = shared_dir();
    if (!dir) {
        MESSAGE("SKIPPED: mobilenetv1_100.imagenet.partial.safetensors is not in "
                << testing::shared_data_dir().string());
        return;
    }
    using loose = decltype(Model<MobileNetV1, Pretrained<ImageNet>, NonStrict>);
    auto const w = pretrained_weights<loose>(*dir);
    std::ostringstream log;
    torch::manual_seed(0);
    auto model = make_model<loose>(3, 10, &*w, &log);
    auto const text = log.str();
    CHECK(text.find("weights: loaded 134 tensors from") != std::string::npos);
    CHECK(text.find("weights: freshly initialised (missing from the file): "
                    "blocks.4.1.conv_pw.weight\n")
          != std::string::npos);
    CHECK(text.find("weights: freshly initialised (replaced): classifier.weight, "
                    "classifier.bias\n")
          != std::string::npos);
    // Loaded values are the file's, bit for bit.
    auto const f = read_safetensors(w->path);
    CHECK(torch::equal(model->conv_stem->weight, *f.find("conv_stem.weight")));
    CHECK(torch::equal(model->named_buffers()["blocks.3.5.bn2.running_var"],
                       *f.find("blocks.3.5.bn2.running_var")));
    // A 1-channel model sums the RGB stem filters.
    auto grey = make_model<loose>(1, 10, &*w, nullptr);
    CHECK(torch::allclose(grey->conv_stem->weight,
                          f.find("conv_stem.weight")->sum(1, /*keepdim=*/true)));
    // The network is pretrained: eval-mode Stage3 features of a smooth image are finite
    // and not degenerate.
    torch::NoGradGuard no_grad;
    model->eval();
    auto const x =
        torch::linspace(-1, 1, 96 * 96).view({1, 1, 96, 96}).expand({2, 3, 96, 96});
    auto const feat = model->forward_features(x.contiguous(), 3);
    CHECK(feat.sizes() == torch::IntArrayRef{2, 512, 6, 6});
    CHECK(torch::isfinite(feat).all().item<bool>());
    CHECK(feat.std().item<double>() > 1e-3);
}
