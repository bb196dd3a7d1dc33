// predict/classify: a trained model.safetensors classifies image files as its run
// evaluated its test images (the same accuracy on the same images), files of other sizes
// are resized as in training, a labelled folder gives the per-class report's predictions
// named by file, and a missing or unreadable image, a file that is not a model, a model of
// another pipeline and a folder that is not one of its classes each give one clear error.
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <torch/torch.h>
#include <unistd.h>

#include <pipeline/all.hpp>

#include "../support.hpp"

using namespace pipeline;
using pipeline::testing::message_of;
namespace fs = std::filesystem;

namespace {
// clang-format off
constexpr auto small = Load<FashionMNIST, Subset<256>>
                     | Augment<Resize<32>>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>
                     | Optimizer<SGD, {.lr = 0.05}>
                     | Train<{.epochs = 1, .batch_size = 64, .eval_batch_size = 256}>;

constexpr auto other = Load<FashionMNIST, Subset<512>>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>;
// clang-format on

//! A binary PGM (P5) of a uint8 [1, H, W] image.
void write_pgm(fs::path const& path, torch::Tensor const& image) {
    auto const img = image.contiguous();
    std::ofstream out(path, std::ios::binary);
    out << "P5\n" << img.size(2) << " " << img.size(1) << "\n255\n";
    out.write(reinterpret_cast<char const*>(img.data_ptr<std::uint8_t>()), img.numel());
}

struct trained {
    fs::path root;
    run_result result;
    labelled_images test;

    ~trained() {
        std::error_code ec;
        fs::remove_all(root, ec);
    }
};

//! One run of `small`, shared by the cases below (training is the slow part).
trained const& model_run() {
    static trained const t = [] {
        auto const root =
            fs::temp_directory_path() / ("pipeline-classify-" + std::to_string(::getpid()));
        fs::remove_all(root);
        run_options o;
        o.device = "cpu";
        o.seed = 3;
        o.out_dir = root;
        o.threads = 2;
        o.eval_limit = 96;
        o.log = nullptr;
        auto r = fit(small, o);
        auto const dir = dataset_loader<FashionMNIST>::locate({});
        auto test = dataset_loader<FashionMNIST>::load(dir).test.first(96);
        return trained{root, std::move(r), std::move(test)};
    }();
    return t;
}
} // namespace

TEST_CASE("predict/classify: the classifier scores the test images as the run did") {
    auto const& t = model_run();
    classifier const model(small, t.result.run_dir / "model.safetensors");
    CHECK(model.card().experiment == t.result.experiment);
    REQUIRE(model.card().class_names.size() == 10);
    CHECK(model.card().class_names[0] == "T-shirt/top");
    CHECK(model.card().class_names[9] == "Ankle boot");
    auto const probs = model.probabilities(t.test.images);
    REQUIRE(probs.sizes() == torch::IntArrayRef{96, 10});
    CHECK(torch::allclose(probs.sum(1), torch::ones({96}), 1e-5, 1e-5));
    auto const correct = probs.argmax(1).eq(t.test.labels).sum().item<std::int64_t>();
    // The run's test pass saw the same 96 images in batches of 256: at most one image's
    // top class may flip on float rounding between the two batchings.
    CHECK(std::abs(static_cast<double>(correct) / 96.0 - t.result.test_acc) <= 1.0 / 96.0);
}

TEST_CASE("predict/classify: image files, of the dataset's size or larger, give the same "
          "classes as the tensors") {
    auto const& t = model_run();
    classifier const model(small, t.result.run_dir / "best.safetensors");
    auto const dir = t.root / "images";
    fs::create_directories(dir);
    std::vector<fs::path> files;
    for (int i = 0; i < 3; ++i) {
        auto const img = t.test.images[i];
        files.push_back(dir / ("test" + std::to_string(i) + ".pgm"));
        write_pgm(files.back(), img);
        // Read back as the run saw it: the same bytes.
        CHECK(torch::equal(model.read_image(files.back()), img));
        // Twice the size (each pixel repeated): resized back to 28x28 on reading.
        auto const big = img.repeat_interleave(2, 1).repeat_interleave(2, 2);
        write_pgm(dir / ("big" + std::to_string(i) + ".pgm"), big);
        auto const read = model.read_image(dir / ("big" + std::to_string(i) + ".pgm"));
        REQUIRE(read.sizes() == torch::IntArrayRef{1, 28, 28});
        // The same picture (resampling's ringing moves edge pixels): correlated above 0.95.
        auto const x = read.to(torch::kFloat64).flatten() - read.to(torch::kFloat64).mean();
        auto const y = img.to(torch::kFloat64).flatten() - img.to(torch::kFloat64).mean();
        auto const r = (x * y).sum() / (x.norm() * y.norm());
        CHECK(r.item<double>() > 0.95);
    }
    {
        // A 2.5 GB file (sparse: no disk used) is refused from its size, unread: it once
        // took 4.4 GB of memory before the refusal.
        auto const huge = dir / "huge.png";
        std::ofstream(huge, std::ios::binary).put('x');
        fs::resize_file(huge, 2'500'000'000);
        CHECK_THROWS_WITH_AS(
            model.read_image(huge),
            (huge.string()
             + ": expected an image file (JPEG, PNG, BMP, GIF, TGA or PNM), "
               "found a file over 2 GB (2500000000 bytes; refused unread)")
                .c_str(),
            pipeline::error);
        fs::remove(huge);
    }
    auto const batch = model.classify(files, 3);
    auto const probs = model.probabilities(t.test.images.narrow(0, 0, 3));
    REQUIRE(batch.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) {
        REQUIRE(batch[i].size() == 3);
        CHECK(batch[i][0].label
              == probs[static_cast<std::int64_t>(i)].argmax().item<std::int64_t>());
        CHECK(batch[i][0].probability >= batch[i][1].probability);
        CHECK(batch[i][1].probability >= batch[i][2].probability);
        CHECK(batch[i][0].name == model.card().class_names[batch[i][0].label]);
        auto const one = model.classify(files[i], 1);
        REQUIRE(one.size() == 1);
        CHECK(one[0].label == batch[i][0].label);
        CHECK(one[0].probability == doctest::Approx(batch[i][0].probability).epsilon(1e-5));
    }
    CHECK(model.classify(files[0], 50).size() == 10); // at most every class
    CHECK(message_of([&] { (void)model.classify(files[0], 0); }).find("at least 1")
          != std::string::npos);
}

TEST_CASE(
    "predict/classify: a missing or unreadable image, a file that is not a model and a "
    "model of another pipeline are refused with one clear error") {
    auto const& t = model_run();
    auto const model_file = t.result.run_dir / "model.safetensors";
    classifier const model(small, model_file);
    auto const dir = t.root / "bad";
    fs::create_directories(dir);

    auto const missing = message_of([&] { (void)model.classify(dir / "nothing.jpg"); });
    CHECK(missing.find("nothing.jpg") != std::string::npos);
    CHECK(missing.find("no such file") != std::string::npos);

    std::ofstream(dir / "text.jpg") << "this is not a JPEG";
    auto const corrupt = message_of([&] { (void)model.classify(dir / "text.jpg"); });
    CHECK(corrupt.find("text.jpg") != std::string::npos);
    CHECK(corrupt.find("an image file") != std::string::npos);

    auto const foreign = message_of([&] { classifier const c(other, model_file); });
    CHECK(foreign.find("trained by") != std::string::npos);
    CHECK(foreign.find("Resize<32>") != std::string::npos);

    auto const no_model =
        message_of([&] { classifier const c(small, dir / "model.safetensors"); });
    CHECK(no_model.find("no such file") != std::string::npos);

    // A safetensors file without pipeline's metadata (a torchvision export, say).
    write_safetensors(dir / "plain.safetensors", {{"w", torch::zeros({2})}});
    auto const plain =
        message_of([&] { classifier const c(small, dir / "plain.safetensors"); });
    CHECK(plain.find("experiment") != std::string::npos);
    CHECK(plain.find("exported by pipeline") != std::string::npos);
}

TEST_CASE(
    "predict/classify: a labelled folder gives the predictions, losses and file names "
    "of the per-class report") {
    auto const& t = model_run();
    classifier const model(small, t.result.run_dir / "model.safetensors");
    auto const& names = model.card().class_names;
    auto const dir = t.root / "labelled";
    // The test images of three classes whose names can be folder names (T-shirt/top
    // cannot), named by their index; two batches of 5 and a remainder.
    std::vector<std::int64_t> picked;
    for (std::int64_t i = 0; i < 96; ++i) {
        auto const label = t.test.labels[i].item<std::int64_t>();
        if (label != 1 && label != 7 && label != 9)
            continue;
        auto const file =
            fmt::format("{}/{:02}.pgm", names[static_cast<std::size_t>(label)], i);
        fs::create_directories((dir / file).parent_path());
        write_pgm(dir / file, t.test.images[i]);
        picked.push_back(i);
    }
    REQUIRE(picked.size() > 10);
    auto const p = model.predictions(dir, 5);
    REQUIRE(p.labels.size() == picked.size());
    REQUIRE(p.names.size() == picked.size());
    REQUIRE(p.losses.size() == picked.size());
    // Sorted by class folder, then file; each as the tensors score it.
    auto const probs = model.probabilities(t.test.images);
    int flips = 0; // batches of 5 here, of 96 there: a near tie may flip on rounding
    for (std::size_t j = 0; j < p.names.size(); ++j) {
        auto const slash = p.names[j].find('/');
        REQUIRE(slash != std::string::npos);
        auto const i = std::stoll(p.names[j].substr(slash + 1, 2));
        CHECK(names[static_cast<std::size_t>(p.labels[j])] == p.names[j].substr(0, slash));
        CHECK(p.labels[j] == t.test.labels[i].item<int>());
        flips += p.predicted[j] != probs[i].argmax().item<int>();
        CHECK(p.losses[j]
              == doctest::Approx(-std::log(probs[i][p.labels[j]].item<double>()))
                     .epsilon(1e-4));
        if (j > 0)
            CHECK(p.names[j - 1] < p.names[j]);
    }
    CHECK(flips <= 1);
    auto const report = make_class_report(p, names);
    CHECK(report.examples == static_cast<std::int64_t>(picked.size()));
    REQUIRE(!report.top_losses.empty());
    CHECK(report.top_losses[0].name.find(".pgm") != std::string::npos);

    // A folder that is not one of the model's classes, a missing folder, an empty class.
    fs::create_directories(dir / "Cat");
    auto const foreign = message_of([&] { (void)model.predictions(dir); });
    CHECK(foreign.find("Cat: expected a folder named as one of the model's classes")
          != std::string::npos);
    CHECK(foreign.find("Ankle boot") != std::string::npos);
    fs::remove(dir / "Cat");
    fs::create_directories(dir / "Bag");
    CHECK(message_of([&] { (void)model.predictions(dir); }).find("an empty folder")
          != std::string::npos);
    fs::remove(dir / "Bag");
    CHECK(message_of([&] {
              (void)model.predictions(dir / "nowhere");
          }).find("no such directory")
          != std::string::npos);
    CHECK(message_of([&] {
              (void)model.predictions(dir, 0);
          }).find("a batch size of at least 1")
          != std::string::npos);
}
