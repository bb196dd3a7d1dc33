// data/image_folder: a user's folder of photos written here (PNG and BMP through
// stb_image_write): layouts, resizing, the cache (reused, and rebuilt when stale or
// corrupt), and one error per kind of bad input.
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <pipeline/pipeline.hpp>

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#endif
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#if __has_include(<stb/stb_image_write.h>)
#include <stb/stb_image_write.h>
#else
#include <stb_image_write.h>
#endif
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

using namespace pipeline;
namespace fs = std::filesystem;

namespace {

struct temp_dir {
    fs::path path;
    explicit temp_dir(std::string const& name)
        : path(fs::temp_directory_path()
               / (name + "-" + std::to_string(::getpid()) + "-"
                  + std::to_string(std::rand()))) {
        fs::create_directories(path);
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

//! A w x h RGB image, every pixel (value, value / 2, 255 - value).
void write_image(fs::path const& p, int w, int h, int value) {
    fs::create_directories(p.parent_path());
    std::vector<unsigned char> px(static_cast<std::size_t>(w * h * 3));
    for (std::size_t i = 0; i < px.size(); i += 3) {
        px[i] = static_cast<unsigned char>(value);
        px[i + 1] = static_cast<unsigned char>(value / 2);
        px[i + 2] = static_cast<unsigned char>(255 - value);
    }
    if (p.extension() == ".bmp")
        stbi_write_bmp(p.c_str(), w, h, 3, px.data());
    else
        stbi_write_png(p.c_str(), w, h, 3, px.data(), w * 3);
}

//! Three classes of four images each, mixed sizes and formats; class c has value 60 c + 30.
void write_flat(fs::path const& root) {
    std::vector<std::string> names{"cat", "apple", "bus"};
    for (std::size_t c = 0; c < names.size(); ++c)
        for (int i = 0; i < 4; ++i)
            write_image(root / names[c]
                            / ("img" + std::to_string(i) + (i % 2 ? ".bmp" : ".png")),
                        20 + 7 * i, 30 - 3 * i, 60 * static_cast<int>(c) + 30);
}

std::string message_of(auto&& f) {
    try {
        f();
    } catch (pipeline::error const& e) {
        return e.what();
    }
    return "(no error)";
}

constexpr ImageFolderParams params{.classes = 3, .size = 16, .test_fraction = 0.25};

} // namespace

TEST_CASE("data/image_folder: class folders are decoded, resized, labelled and split") {
    temp_dir tmp("pipeline-folder");
    write_flat(tmp.path);
    std::ostringstream log;
    auto d = image_folder::load(tmp.path, params, &log);
    CHECK(d.classes == std::vector<std::string>{"apple", "bus", "cat"});
    REQUIRE(d.train.images.sizes() == torch::IntArrayRef{9, 3, 16, 16});
    REQUIRE(d.test.images.sizes() == torch::IntArrayRef{3, 3, 16, 16});
    // One of four per class held out; every class in both splits.
    CHECK(torch::equal(std::get<0>(d.test.labels.sort()),
                       torch::tensor({0, 1, 2}, torch::kInt64)));
    // Colours survive decoding and resizing: "apple" (label 0) was written as class 1.
    for (std::int64_t i = 0; i < 9; ++i) {
        auto label = d.train.labels[i].item<std::int64_t>();
        int const written[] = {90, 150, 30}; // apple, bus, cat
        CHECK(d.train.images[i][0].to(torch::kInt).min().item<int>() == written[label]);
        CHECK(d.train.images[i][2][5][5].item<int>() == 255 - written[label]);
    }
    CHECK(log.str().find("decoding 9 + 3 images (no cache yet)") != std::string::npos);
    // The same split on every run.
    auto again = image_folder::load(tmp.path, params, nullptr);
    CHECK(torch::equal(again.test.labels, d.test.labels));
    CHECK(torch::equal(again.train.images, d.train.images));
}

TEST_CASE("data/image_folder: the cache is reused, and rebuilt when stale or corrupt") {
    temp_dir tmp("pipeline-folder");
    write_flat(tmp.path);
    auto first = image_folder::load(tmp.path, params, nullptr);
    auto const cache = image_folder::cache_path(tmp.path, 16, 3);
    REQUIRE(fs::exists(cache));
    auto reload = [&] {
        std::ostringstream log;
        auto d = image_folder::load(tmp.path, params, &log);
        CHECK(torch::equal(d.train.images, first.train.images));
        CHECK(torch::equal(d.test.labels, first.test.labels));
        return log.str();
    };
    CHECK(reload().find("from the cache") != std::string::npos);

    SUBCASE("a flipped pixel byte fails the checksum") {
        auto bytes = image_folder::read_file(cache);
        bytes[bytes.size() - 20] ^= 0x5a;
        std::ofstream(cache, std::ios::binary)
            .write(reinterpret_cast<char const*>(bytes.data()),
                   std::streamsize(bytes.size()));
        CHECK(reload().find("checksum") != std::string::npos);
        CHECK(reload().find("from the cache") != std::string::npos);
    }
    SUBCASE("a truncated cache") {
        fs::resize_file(cache, fs::file_size(cache) / 2);
        CHECK(reload().find("the cache is unreadable") != std::string::npos);
    }
    SUBCASE("a cache of other data") {
        std::ofstream(cache) << "not a cache";
        CHECK(reload().find("unreadable") != std::string::npos);
    }
    SUBCASE("a changed image") {
        write_image(tmp.path / "bus" / "img0.png", 9, 9, 150);
        CHECK(reload().find("the files changed") != std::string::npos);
    }
    SUBCASE("another size is another cache") {
        auto small = params;
        small.size = 8;
        CHECK(image_folder::load(tmp.path, small, nullptr).train.images.size(2) == 8);
        CHECK(fs::exists(image_folder::cache_path(tmp.path, 8, 3)));
    }
}

TEST_CASE("data/image_folder: train/ and val/ folders, grey decoding, native sizes") {
    temp_dir tmp("pipeline-folder");
    for (auto split : {"train", "val"})
        for (auto cls : {"a", "b"})
            for (int i = 0; i < (std::string(split) == "train" ? 3 : 2); ++i)
                write_image(tmp.path / split / cls / (std::to_string(i) + ".png"), 12, 10,
                            100);
    auto d = image_folder::load(tmp.path, {.classes = 2, .channels = 1}, nullptr);
    CHECK(d.train.images.sizes() == torch::IntArrayRef{6, 1, 10, 12});
    CHECK(d.test.images.sizes() == torch::IntArrayRef{4, 1, 10, 12});
    using F = ImageFolder<"mine", {.classes = 2, .channels = 1}>;
    CHECK(dataset_loader<F>::locate(tmp.path) == tmp.path);
    fs::rename(tmp.path, tmp.path.string() + "x");
    fs::create_directories(tmp.path);
    fs::rename(tmp.path.string() + "x", tmp.path / "mine");
    CHECK(dataset_loader<F>::locate(tmp.path) == tmp.path / "mine");
    CHECK(dataset_loader<F>::load(tmp.path / "mine").train.size() == 6);
}

TEST_CASE("data/image_folder: every bad input is one error naming the folder or image") {
    temp_dir tmp("pipeline-folder");
    write_flat(tmp.path);
    SUBCASE("empty class folder") {
        fs::create_directories(tmp.path / "dog");
        auto p = params;
        p.classes = 4;
        auto msg = message_of([&] { image_folder::load(tmp.path, p, nullptr); });
        CHECK(msg.find((tmp.path / "dog").string()
                       + ": expected a class folder with at least "
                         "one image")
              != std::string::npos);
    }
    SUBCASE("class count other than the type's") {
        auto p = params;
        p.classes = 5;
        auto msg = message_of([&] { image_folder::load(tmp.path, p, nullptr); });
        CHECK(msg.find("5 class folders") != std::string::npos);
        CHECK(msg.find("3 (apple, bus, cat)") != std::string::npos);
    }
    SUBCASE("undecodable image, and skipping it when asked") {
        std::ofstream(tmp.path / "bus" / "broken.jpg") << "this is not a JPEG";
        auto msg = message_of([&] { image_folder::load(tmp.path, params, nullptr); });
        CHECK(msg.find("broken.jpg: expected an image stb_image decodes")
              != std::string::npos);
        CHECK(msg.find("skip_unreadable") != std::string::npos);
        auto p = params;
        p.skip_unreadable = true;
        auto d = image_folder::load(tmp.path, p, nullptr);
        CHECK(d.train.size() + d.test.size() == 12);
    }
    SUBCASE("mixed sizes without a resize") {
        auto p = params;
        p.size = 0;
        auto msg = message_of([&] { image_folder::load(tmp.path, p, nullptr); });
        CHECK(msg.find(".size = N") != std::string::npos);
        CHECK(msg.find("expected an image of") != std::string::npos);
    }
    SUBCASE("val/ with other classes than train/") {
        temp_dir two("pipeline-folder");
        write_image(two.path / "train" / "a" / "0.png", 4, 4, 1);
        write_image(two.path / "train" / "b" / "0.png", 4, 4, 1);
        write_image(two.path / "val" / "a" / "0.png", 4, 4, 1);
        write_image(two.path / "val" / "c" / "0.png", 4, 4, 1);
        auto msg =
            message_of([&] { image_folder::load(two.path, {.classes = 2}, nullptr); });
        CHECK(msg.find("the class folders of train/ (a, b)") != std::string::npos);
    }
    SUBCASE("missing directory") {
        using F = ImageFolder<"nowhere", {.classes = 3}>;
        auto msg = message_of([&] { dataset_loader<F>::locate(tmp.path / "none"); });
        CHECK(msg.find((tmp.path / "none").string()) != std::string::npos);
        CHECK(msg.find("3 class folders") != std::string::npos);
    }
}

TEST_CASE("data/image_folder: the cache parser names the byte offset of each defect") {
    image_folder::decoded d;
    d.fingerprint = 42;
    d.classes = {"a", "b"};
    d.train = {torch::zeros({2, 1, 2, 2}, torch::kUInt8),
               torch::tensor({0, 1}, torch::kInt64)};
    d.test = {torch::ones({1, 1, 2, 2}, torch::kUInt8), torch::tensor({1}, torch::kInt64)};
    auto bytes = image_folder::serialize(d);
    auto back = image_folder::parse(bytes.data(), bytes.size(), "c");
    CHECK(back.fingerprint == 42);
    CHECK(torch::equal(back.test.images, d.test.images));
    CHECK(torch::equal(back.train.labels, d.train.labels));
    auto msg = [&](std::vector<std::uint8_t> b) {
        return message_of([&] { image_folder::parse(b.data(), b.size(), "c"); });
    };
    auto bad_label = bytes;
    bad_label[8 + 8 + 16 + 16 + 5 + 5 + 2] = 7; // the third label
    CHECK(msg(bad_label).find("c at byte 60: expected a label in [0, 2), found 7")
          != std::string::npos);
    CHECK(msg({bytes.begin(), bytes.begin() + 18})
              .find("c at byte 16: expected 4 bytes of "
                    "the class count")
          != std::string::npos);
    auto huge = bytes;
    huge[36] = 0xff; // n_train's low byte
    CHECK(msg(huge).find("image counts that fit") != std::string::npos);
    auto extra = bytes;
    extra.push_back(0);
    CHECK(msg(extra).find("the end of the cache") != std::string::npos);
}

TEST_CASE("data/image_folder: Load<ImageFolder<...>> trains end to end from --data-dir") {
    temp_dir tmp("pipeline-folder");
    for (int c = 0; c < 2; ++c)
        for (int i = 0; i < 10; ++i)
            write_image(tmp.path / "tiny" / (c ? "dark" : "light")
                            / (std::to_string(i) + ".png"),
                        20 + i, 18, c ? 20 + i : 220 - i);
    // clang-format off
    constexpr auto p = Load<ImageFolder<"tiny", {.classes = 2, .size = 16}>>
                     | Augment<RandomCrop<16, 2>>
                     | Augment<HorizontalFlip>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>
                     | Train<{.epochs = 1, .batch_size = 8}>;
    // clang-format on
    run_options o;
    o.device = "cpu";
    o.data_dir = tmp.path;
    o.out_dir.clear();
    o.threads = 2;
    o.log = nullptr;
    auto r = fit(p, o);
    CHECK(r.test_examples == 4);
    CHECK(std::isfinite(r.test_loss));
    CHECK(r.experiment.find("ImageFolder<\"tiny\", {.classes = 2, .size = 16}>")
          != std::string::npos);
}
