// train/tta: Evaluate<TTA<...>>'s views and their average: a model invariant to mirroring
// gets the same logits with flip TTA; a linear model's TTA logits are the hand-computed
// average of its logits on the image and its mirror; shifted views are the image moved by
// the given pixels with the border reflected, checked pixel by pixel; a run with the stage
// reports validation and test figures with and without it.
#include <cmath>
#include <filesystem>
#include <fstream>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <pipeline/all.hpp>

#include "../support.hpp"

using namespace pipeline;

namespace {
// clang-format off
constexpr auto with_tta = Load<FashionMNIST, Subset<256>>
                        | Model<ResNet18>
                        | Loss<CrossEntropy>
                        | Optimizer<SGD, {.lr = 0.05}>
                        | Schedule<Constant>
                        | Train<{.epochs = 1, .batch_size = 64}>
                        | Evaluate<TTA<HorizontalFlip>>;
// clang-format on

int reflect(int i, int n) {
    return i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
}
} // namespace

TEST_CASE("train/tta: a mirror-invariant model gets the same logits with flip TTA") {
    torch::manual_seed(1);
    auto const x = torch::randn({5, 3, 8, 8});
    auto const w = torch::randn({3, 4});
    // Global average pooling then a linear map: mirroring cannot change it.
    auto const pooled = [&](torch::Tensor const& v) { return v.mean({2, 3}).matmul(w); };
    auto const tta = tta_logits(pooled, x, TtaParams{true, 0});
    CHECK((tta - pooled(x)).abs().max().item<double>() <= 1e-6);
}

TEST_CASE("train/tta: flip TTA is the average of the image's and its mirror's logits") {
    torch::manual_seed(2);
    auto const x = torch::randn({4, 1, 6, 6});
    auto const w = torch::randn({36, 3});
    auto const linear = [&](torch::Tensor const& v) { return v.flatten(1).matmul(w); };
    auto const expected = (linear(x) + linear(x.flip({3}))) / 2.0;
    auto const got = tta_logits(linear, x, TtaParams{true, 0});
    CHECK((got - expected).abs().max().item<double>() <= 1e-5);
    // The test can fail: a linear model on random weights is not mirror-invariant.
    CHECK((got - linear(x)).abs().max().item<double>() > 1e-2);
    // Without views, the model's own logits.
    CHECK(torch::equal(tta_logits(linear, x, TtaParams{}), linear(x)));
}

TEST_CASE("train/tta: shifted views move the image, reflecting the border; 6 views with "
          "flips") {
    auto const x = torch::arange(2 * 16, torch::kFloat32).view({2, 1, 4, 4});
    auto const views = tta_views(x, TtaParams{true, 1});
    REQUIRE(views.size(0) == 12); // 6 views x 2 images
    auto const a = x.accessor<float, 4>();
    auto const v = views.accessor<float, 4>();
    for (int n = 0; n < 2; ++n)
        for (int i = 0; i < 4; ++i)
            for (int j = 0; j < 4; ++j) {
                CHECK(v[n][0][i][j] == a[n][0][i][j]);
                // down-right by 1, then up-left by 1
                CHECK(v[2 + n][0][i][j] == a[n][0][reflect(i - 1, 4)][reflect(j - 1, 4)]);
                CHECK(v[4 + n][0][i][j] == a[n][0][reflect(i + 1, 4)][reflect(j + 1, 4)]);
                // the mirrors of the three
                CHECK(v[6 + n][0][i][j] == a[n][0][i][3 - j]);
                CHECK(v[8 + n][0][i][j] == v[2 + n][0][i][3 - j]);
                CHECK(v[10 + n][0][i][j] == v[4 + n][0][i][3 - j]);
            }
}

TEST_CASE("train/tta: a run with Evaluate<TTA<HorizontalFlip>> reports both figures") {
    testing::temp_dir dir("pipeline-tta");
    run_options o;
    o.device = "cpu";
    o.seed = 4;
    o.out_dir = dir.path;
    o.eval_limit = 128;
    o.threads = 2;
    o.log = nullptr;
    auto const r = fit(with_tta, o);
    REQUIRE(r.history.size() == 1);
    REQUIRE(r.history[0].tta_val.size() == 2);
    CHECK(std::isfinite(r.history[0].tta_val[0]));
    CHECK(r.tta_test_acc > 0.0);
    CHECK(std::isfinite(r.tta_test_loss));
    // Mirroring changes a trained ResNet's logits: the averaged loss differs.
    CHECK(r.tta_test_loss != r.test_loss);
    std::ifstream in(r.run_dir / "summary.json");
    auto const summary = nlohmann::json::parse(in);
    CHECK(summary["tta"]["views"] == 2);
    CHECK(summary["tta"]["test_acc_delta"].get<double>()
          == doctest::Approx(r.tta_test_acc - r.test_acc));
    CHECK(r.experiment.find("| Evaluate<TTA<HorizontalFlip>>") != std::string::npos);
}
