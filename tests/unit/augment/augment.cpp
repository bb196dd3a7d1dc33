// augment/augment: properties of the on-device augmentations (flip twice is the identity,
// crops keep shape and come from the padded image, cutout holes are squares, MixUp targets
// sum to one and match the mixing coefficient, CutMix areas match lambda), any batch size,
// seeded streams per stage, and the soft-target losses.
#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <torch/torch.h>

#include <pipeline/all.hpp>

using namespace pipeline;

namespace {
torch::Device const cpu(torch::kCPU);

//! Distinct positive values: x[b, c, h, w] = 1 + b * 1000 + c * 100 + h * 10 + w.
torch::Tensor ramp(std::int64_t b, std::int64_t c, std::int64_t h, std::int64_t w) {
    auto bi = torch::arange(b).view({b, 1, 1, 1}) * 1000;
    auto ci = torch::arange(c).view({1, c, 1, 1}) * 100;
    auto hi = torch::arange(h).view({1, 1, h, 1}) * 10;
    auto wi = torch::arange(w).view({1, 1, 1, w});
    return (bi + ci + hi + wi + 1).to(torch::kFloat32);
}

torch::Generator gen(std::uint64_t seed) {
    return compat::make_generator(cpu, seed);
}
} // namespace

TEST_CASE("augment/augment: a horizontal flip applied twice with the same draws is the "
          "identity; each image is either kept or mirrored") {
    auto x = ramp(64, 3, 5, 7);
    auto g1 = gen(3);
    auto g2 = gen(3);
    auto once = augmentation_impl<HorizontalFlip>::train(x, g1);
    CHECK(torch::equal(augmentation_impl<HorizontalFlip>::train(once, g2), x));
    int flipped = 0;
    for (std::int64_t i = 0; i < 64; ++i) {
        bool same = torch::equal(once[i], x[i]);
        bool mirrored = torch::equal(once[i], x[i].flip({2}));
        CHECK((same || mirrored));
        flipped += mirrored;
    }
    CHECK(flipped > 16); // p = 1/2 per image: 16..48 of 64 with overwhelming probability
    CHECK(flipped < 48);
}

TEST_CASE("augment/augment: RandomCrop keeps the shape and takes a window of the padded "
          "image per example") {
    auto x = ramp(16, 2, 8, 8);
    auto g = gen(5);
    using Crop = RandomCrop<8, 2, Padding::zero>;
    auto out = augmentation_impl<Crop>::train(x, g);
    REQUIRE(out.sizes() == x.sizes());
    auto padded =
        torch::nn::functional::pad(x, torch::nn::functional::PadFuncOptions({2, 2, 2, 2}));
    std::set<std::pair<int, int>> offsets;
    for (std::int64_t i = 0; i < 16; ++i) {
        bool found = false;
        for (int dy = 0; dy <= 4 && !found; ++dy)
            for (int dx = 0; dx <= 4 && !found; ++dx)
                if (torch::equal(out[i], padded[i].narrow(1, dy, 8).narrow(2, dx, 8))) {
                    found = true;
                    offsets.insert({dy, dx});
                }
        CHECK(found);
    }
    CHECK(offsets.size() > 4); // offsets differ per example
    // Reflect padding mirrors pixels: no zeros appear; pad 0 at full size is the identity.
    auto r = augmentation_impl<RandomCrop<8, 2>>::train(x, g);
    CHECK(r.eq(0).sum().item<std::int64_t>() == 0);
    CHECK(torch::equal(augmentation_impl<RandomCrop<8, 0>>::train(x, g), x));
    // A smaller crop: random windows in training, the centre at evaluation.
    CHECK(augmentation_impl<RandomCrop<6>>::train(x, g).sizes()
          == torch::IntArrayRef{16, 2, 6, 6});
    CHECK(torch::equal(augmentation_impl<RandomCrop<6>>::eval(x),
                       x.narrow(2, 1, 6).narrow(3, 1, 6)));
}

TEST_CASE("augment/augment: Cutout zeroes one clipped n x n square per image") {
    auto x = torch::ones({200, 1, 10, 10});
    auto g = gen(9);
    auto out = augmentation_impl<Cutout<4>>::train(x, g);
    REQUIRE(out.sizes() == x.sizes());
    int clipped = 0;
    for (std::int64_t i = 0; i < 200; ++i) {
        auto hole = out[i][0].eq(0);
        auto rows = hole.any(1).sum().item<std::int64_t>();
        auto cols = hole.any(0).sum().item<std::int64_t>();
        // The hole is a rows x cols rectangle of at most 4 x 4, at least 2 x 2 (centre
        // inside the image).
        CHECK(hole.sum().item<std::int64_t>() == rows * cols);
        CHECK(rows <= 4);
        CHECK(cols <= 4);
        CHECK(rows >= 2);
        CHECK(cols >= 2);
        clipped += rows * cols < 16;
    }
    CHECK(clipped > 0);
    CHECK(clipped < 200);
}

TEST_CASE("augment/augment: Resize changes the size in training and evaluation alike") {
    auto x = ramp(2, 3, 8, 8);
    auto g = gen(1);
    CHECK(augmentation_impl<Resize<16>>::train(x, g).sizes()
          == torch::IntArrayRef{2, 3, 16, 16});
    CHECK(augmentation_impl<Resize<4>>::eval(x).sizes() == torch::IntArrayRef{2, 3, 4, 4});
    CHECK(torch::equal(augmentation_impl<Resize<8>>::eval(x), x));
}

TEST_CASE("augment/augment: MixUp targets sum to one and match the mixing coefficient, "
          "for any batch size") {
    for (std::int64_t b : {1, 2, 3, 7, 64}) {
        CAPTURE(b);
        auto x = ramp(b, 3, 4, 4);
        auto labels = torch::arange(b, torch::kInt64).remainder(10);
        auto g = gen(11);
        auto m = mix<MixUp::mixing>(x, labels, 10, g);
        REQUIRE(m.target.sizes() == torch::IntArrayRef{b, 10});
        CHECK(torch::allclose(m.target.sum(1), torch::ones({b})));
        CHECK(m.lambda.ge(0).all().item<bool>());
        CHECK(m.lambda.le(1).all().item<bool>());
        auto l = m.lambda.view({b, 1, 1, 1});
        CHECK(torch::allclose(m.x, x * l + x.index_select(0, m.partner) * (1 - l), 1e-5,
                              1e-3));
        for (std::int64_t i = 0; i < b; ++i) {
            auto j = m.partner[i].item<std::int64_t>();
            if (labels[i].item<std::int64_t>() == labels[j].item<std::int64_t>())
                continue;
            CHECK(m.target[i][labels[i].item<std::int64_t>()].item<float>()
                  == doctest::Approx(m.lambda[i].item<float>()));
            CHECK(m.target[i][labels[j].item<std::int64_t>()].item<float>()
                  == doctest::Approx(1 - m.lambda[i].item<float>()));
        }
        if (b == 1)
            CHECK(torch::allclose(m.x, x)); // its own partner
    }
}

TEST_CASE("augment/augment: CutMix pastes exactly the area 1 - lambda from the partner") {
    for (std::int64_t b : {1, 5, 64}) {
        CAPTURE(b);
        // Image i is the constant i + 1, so every pixel tells where it came from.
        auto x = (torch::arange(b).view({b, 1, 1, 1}) + 1)
                     .to(torch::kFloat32)
                     .expand({b, 3, 12, 10})
                     .contiguous();
        auto labels = torch::arange(b, torch::kInt64).remainder(10);
        auto g = gen(13);
        auto m = mix<CutMix::with<{.smoothing = 0.1}>::mixing>(x, labels, 10, g);
        CHECK(torch::allclose(m.target.sum(1), torch::ones({b})));
        for (std::int64_t i = 0; i < b; ++i) {
            auto own = m.x[i].eq(static_cast<float>(i + 1)).to(torch::kFloat32).mean();
            if (m.partner[i].item<std::int64_t>() != i)
                CHECK(own.item<float>() == doctest::Approx(m.lambda[i].item<float>()));
            // Smoothing 0.1 folded in: own class gets lambda (1 - eps) + eps / K (plus the
            // partner's share when labels coincide).
            auto j = m.partner[i].item<std::int64_t>();
            if (labels[i].item<std::int64_t>() != labels[j].item<std::int64_t>())
                CHECK(m.target[i][labels[i].item<std::int64_t>()].item<float>()
                      == doctest::Approx(m.lambda[i].item<float>() * 0.9 + 0.01));
        }
    }
    // MixUpCutMix: switch_prob 1 is CutMix (only whole pixels move), 0 is MixUp.
    auto x = (torch::arange(32).view({32, 1, 1, 1}) + 1)
                 .to(torch::kFloat32)
                 .expand({32, 1, 8, 8})
                 .contiguous();
    auto labels = torch::zeros({32}, torch::kInt64);
    auto g = gen(2);
    auto cut = mix<MixUpCutMix::with<{.switch_prob = 1.0}>::mixing>(x, labels, 10, g);
    CHECK(torch::equal(cut.x, cut.x.round()));
    auto both = mix<MixUpCutMix::mixing>(x, labels, 10, g);
    CHECK(torch::allclose(both.target.sum(1), torch::ones({32})));
}

namespace {
using FlipOnly = Pipeline<LoadStage<CIFAR10>, AugmentStage<HorizontalFlip>,
                          ModelStage<ResNet18>, LossStage<CrossEntropy>>;
using CropFlipCut = Pipeline<LoadStage<CIFAR10>, AugmentStage<RandomCrop<8, 2>>,
                             AugmentStage<HorizontalFlip>, AugmentStage<Cutout<2>>,
                             AugmentStage<MixUp::with<{.alpha = 0.5}>>,
                             ModelStage<ResNet18>, LossStage<SoftTargetCE>>;
using TwoFlips =
    Pipeline<LoadStage<CIFAR10>, AugmentStage<HorizontalFlip>, AugmentStage<HorizontalFlip>,
             ModelStage<ResNet18>, LossStage<CrossEntropy>>;
} // namespace

TEST_CASE("augment/augment: same seed, identical batches; each stage has its own stream") {
    batch in{ramp(32, 3, 8, 8), torch::arange(32, torch::kInt64).remainder(10)};
    augmenter a(spec_of<CropFlipCut>.augmentations, cpu, 7, 10);
    augmenter b(spec_of<CropFlipCut>.augmentations, cpu, 7, 10);
    augmenter c(spec_of<CropFlipCut>.augmentations, cpu, 8, 10);
    for (int step = 0; step < 3; ++step) {
        auto ra = a.train(in);
        auto rb = b.train(in);
        auto rc = c.train(in);
        CHECK(torch::equal(ra.x, rb.x));
        CHECK(torch::equal(ra.target, rb.target));
        CHECK_FALSE(torch::equal(ra.x, rc.x));
        CHECK(ra.target.sizes() == torch::IntArrayRef{32, 10});
        CHECK(torch::equal(ra.y, in.y));
    }
    // Adding stages around the flip does not change the flip's draws: the flip alone with
    // seed 7 mirrors exactly the images a flip between other stages mirrors.
    augmenter f(spec_of<FlipOnly>.augmentations, cpu, 7, 10);
    auto alone = f.train(in).x;
    auto g = compat::make_generator(cpu, derive_seed(7, "augment:HorizontalFlip"));
    CHECK(torch::equal(alone, augmentation_impl<HorizontalFlip>::train(in.x, g)));
    CHECK(augmentation_stream_names(spec_of<CropFlipCut>.augmentations)
          == std::vector<std::string>{"augment:RandomCrop<8, 2>", "augment:HorizontalFlip",
                                      "augment:Cutout<2>",
                                      "augment:MixUp, {.alpha = 0.5}"});
    // A repeated stage draws from its own stream: two flips do not cancel out.
    CHECK(
        augmentation_stream_names(spec_of<TwoFlips>.augmentations)
        == std::vector<std::string>{"augment:HorizontalFlip", "augment:HorizontalFlip#1"});
    augmenter two(spec_of<TwoFlips>.augmentations, cpu, 7, 10);
    CHECK_FALSE(torch::equal(two.train(in).x, in.x));
}

TEST_CASE("augment/augment: soft-target losses: one-hot equals hard labels, smoothing by "
          "hand") {
    auto logits = torch::tensor({{2.0f, -1.0f, 0.5f}, {0.1f, 0.2f, 3.0f}});
    auto labels = torch::tensor({0, 2}, torch::kInt64);
    auto one_hot = torch::nn::functional::one_hot(labels, 3).to(torch::kFloat32);
    auto ce = loss_function<CrossEntropy>::compute(logits, labels);
    CHECK(loss_function<SoftTargetCE>::compute(logits, one_hot).item<float>()
          == doctest::Approx(ce.item<float>()));
    CHECK(loss_function<SoftTargetCE>::compute(logits, labels).item<float>()
          == doctest::Approx(ce.item<float>()));
    // SmoothedCE<0.3> on soft targets t: t' = 0.7 t + 0.1, loss = -sum t' log_softmax.
    auto soft = torch::tensor({{0.6f, 0.4f, 0.0f}, {0.0f, 0.25f, 0.75f}});
    auto ls = torch::log_softmax(logits, 1);
    double by_hand = 0;
    for (int i = 0; i < 2; ++i)
        for (int k = 0; k < 3; ++k)
            by_hand -= (0.7 * soft[i][k].item<float>() + 0.1) * ls[i][k].item<float>();
    CHECK(loss_function<SmoothedCE<0.3>>::compute(logits, soft).item<float>()
          == doctest::Approx(by_hand / 2).epsilon(1e-5));
    // ... and on one-hot targets it equals PyTorch's label_smoothing on hard labels.
    CHECK(loss_function<SmoothedCE<0.3>>::compute(logits, one_hot).item<float>()
          == doctest::Approx(
              loss_function<SmoothedCE<0.3>>::compute(logits, labels).item<float>()));
    // CrossEntropy refuses soft targets at run time, too (the type rule stops pipelines).
    CHECK_THROWS_AS(loss_function<CrossEntropy>::compute(logits, soft), pipeline::error);
}

TEST_CASE("augment/augment: the normaliser takes Normalize's statistics, else the "
          "dataset's") {
    using Given = Pipeline<LoadStage<CIFAR10>,
                           AugmentStage<Normalize<{0.5, 0.5, 0.5}, {0.25, 0.5, 1.0}>>,
                           ModelStage<ResNet18>, LossStage<CrossEntropy>>;
    auto x = torch::full({1, 3, 1, 1}, 255, torch::kUInt8);
    auto const normalizer_of = [](spec::experiment const& e) {
        auto const st = pipeline_statistics(e.augmentations, dataset_statistics(e.data));
        return normalizer(st.mean, st.std, cpu);
    };
    auto y = normalizer_of(spec_of<Given>)(x);
    CHECK(y[0][0][0][0].item<float>() == doctest::Approx(2.0));
    CHECK(y[0][2][0][0].item<float>() == doctest::Approx(0.5));
    auto d = normalizer_of(spec_of<FlipOnly>)(x);
    CHECK(d[0][1][0][0].item<float>()
          == doctest::Approx((1 - CIFAR10::mean[1]) / CIFAR10::std[1]));
}

TEST_CASE("augment/augment: a pipeline with crops, flips, resize and MixUp trains, and the "
          "same seed gives the same numbers") {
    // clang-format off
    constexpr auto p = Load<FashionMNIST, Subset<128>>
                     | Augment<Resize<32>>
                     | Augment<RandomCrop<32, 4>>
                     | Augment<HorizontalFlip>
                     | Augment<MixUp>
                     | Model<ResNet18>
                     | Loss<SoftTargetCE>
                     | Schedule<Constant>
                     | Train<{.epochs = 1, .batch_size = 32, .eval_batch_size = 64}>;
    // clang-format on
    run_options o;
    o.device = "cpu";
    o.out_dir.clear();
    o.eval_limit = 64;
    o.threads = 2;
    o.log = nullptr;
    o.seed = 3;
    auto a = fit(p, o);
    auto b = fit(p, o);
    REQUIRE(a.history.size() == 1);
    CHECK(std::isfinite(a.history[0].metrics.train_loss));
    CHECK(std::isfinite(a.test_loss));
    CHECK(a.history[0].metrics.train_loss == b.history[0].metrics.train_loss);
    CHECK(a.test_loss == b.test_loss);
    CHECK(a.experiment.find("Augment<MixUp>") != std::string::npos);
}
