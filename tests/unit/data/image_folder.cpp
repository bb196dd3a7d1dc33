// data/image_folder: a user's folder of photos written here (PNG and BMP through
// stb_image_write, JPEG through libjpeg-turbo): layouts, resizing, the cache (reused, and
// rebuilt when stale or corrupt), and one error per kind of bad input.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <torch/torch.h>
#include <turbojpeg.h>
#include <unistd.h>
#include <zlib.h>

#include <pipeline/all.hpp>

#include "../support.hpp"

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
using pipeline::testing::message_of;
using pipeline::testing::temp_dir;
namespace fs = std::filesystem;

namespace {

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

constexpr ImageFolderParams params{.classes = 3, .size = 16, .test_fraction = 0.25};

void write_bytes(fs::path const& p, std::vector<unsigned char> const& bytes) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary)
        .write(reinterpret_cast<char const*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
}

//! A real 16x16 baseline JPEG whose frame header (SOF0) is patched to claim w x h: a few
//! hundred bytes that stb_image would decode into w * h * 3 bytes.
std::vector<unsigned char> jpeg_claiming(int w, int h) {
    std::vector<unsigned char> out;
    std::vector<unsigned char> px(16 * 16 * 3, 128);
    stbi_write_jpg_to_func(
        [](void* ctx, void* data, int size) {
            auto* o = static_cast<std::vector<unsigned char>*>(ctx);
            auto* d = static_cast<unsigned char*>(data);
            o->insert(o->end(), d, d + size);
        },
        &out, 16, 16, 3, px.data(), 90);
    for (std::size_t i = 0; i + 8 < out.size(); ++i)
        if (out[i] == 0xff && out[i + 1] == 0xc0) { // SOF0: length, precision, h, w
            out[i + 5] = static_cast<unsigned char>(h >> 8);
            out[i + 6] = static_cast<unsigned char>(h);
            out[i + 7] = static_cast<unsigned char>(w >> 8);
            out[i + 8] = static_cast<unsigned char>(w);
            return out;
        }
    FAIL("no SOF0 marker in the JPEG stb_image_write produced");
    return out;
}

//! The signature and IHDR chunk of a 16-bit grey w x h PNG, then IEND: all a header reader
//! sees of the 1.7 MB all-black 30000x30000 file that decodes to 3.6 GB.
std::vector<unsigned char> png_header(std::uint32_t w, std::uint32_t h) {
    std::vector<unsigned char> out{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    auto u32 = [&](std::uint32_t v) {
        for (int s = 24; s >= 0; s -= 8)
            out.push_back(static_cast<unsigned char>(v >> s));
    };
    auto chunk = [&](char const* type, std::vector<unsigned char> const& data) {
        u32(static_cast<std::uint32_t>(data.size()));
        auto const start = out.size();
        out.insert(out.end(), type, type + 4);
        out.insert(out.end(), data.begin(), data.end());
        u32(static_cast<std::uint32_t>(
            crc32(0, out.data() + start, static_cast<unsigned>(out.size() - start))));
    };
    std::vector<unsigned char> ihdr;
    for (auto v : {w, h})
        for (int s = 24; s >= 0; s -= 8)
            ihdr.push_back(static_cast<unsigned char>(v >> s));
    ihdr.insert(ihdr.end(), {16, 0, 0, 0, 0}); // 16 bits, grey, deflate, no interlace
    chunk("IHDR", ihdr);
    chunk("IEND", {});
    return out;
}

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
    // Each image is named by its file relative to the folder, in label order with the
    // labels (the per-class report names the hardest test images by them).
    REQUIRE(d.train_names.size() == 9);
    REQUIRE(d.test_names.size() == 3);
    for (std::int64_t i = 0; i < 3; ++i) {
        auto const& name = d.test_names[static_cast<std::size_t>(i)];
        CHECK(name.rfind(
                  d.classes[static_cast<std::size_t>(d.test.labels[i].item<std::int64_t>())]
                      + "/img",
                  0)
              == 0);
        CHECK(fs::exists(tmp.path / name));
    }
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
        CHECK(d.test_names == first.test_names);
        CHECK(d.train_names == first.train_names);
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
    SUBCASE("a cache of format 1 (no file names) is out of date") {
        auto bytes = image_folder::read_file(cache);
        bytes[7] = '1';
        std::ofstream(cache, std::ios::binary)
            .write(reinterpret_cast<char const*>(bytes.data()),
                   std::streamsize(bytes.size()));
        CHECK(reload().find("format 1 (PLIMGCA1, written by an earlier version")
              != std::string::npos);
        CHECK(reload().find("from the cache") != std::string::npos);
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
    SUBCASE("image links that point nowhere are said, not silently left out") {
        fs::create_directories(tmp.path / "dog");
        fs::create_symlink("/nonexistent/dog1.png", tmp.path / "dog" / "1.png");
        fs::create_symlink("/nonexistent/dog2.png", tmp.path / "dog" / "2.png");
        auto p = params;
        p.classes = 4;
        auto msg = message_of([&] { image_folder::load(tmp.path, p, nullptr); });
        CHECK(
            msg
            == (tmp.path / "dog").string()
                   + ": expected a class folder with at least one image (.jpg, .png, ...), "
                     "found no image but 2 links that point nowhere, the first 1.png -> "
                     "/nonexistent/dog1.png");
        fs::create_symlink("/nonexistent/cat9.png", tmp.path / "cat" / "9.png");
        fs::remove_all(tmp.path / "dog");
        std::ostringstream err;
        auto* const saved = std::cerr.rdbuf(err.rdbuf());
        auto d = image_folder::load(tmp.path, params, nullptr);
        std::cerr.rdbuf(saved);
        CHECK(d.train.size() + d.test.size() == 12);
        CHECK(err.str().find((tmp.path / "cat").string()
                             + ": skipped 1 link that points nowhere, the first 9.png -> "
                               "/nonexistent/cat9.png")
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
        CHECK(msg.find("broken.jpg: expected an image file (JPEG, PNG, BMP, GIF, TGA, PNM)")
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
    // A cache holds one file name per image.
    CHECK(message_of([&] {
              image_folder::serialize(d);
          }).find("expected 3 file names, one per image, found 0")
          != std::string::npos);
    d.train_names = {"a/x.png", "b/y.png"};
    d.test_names = {"b/z.png"};
    auto bytes = image_folder::serialize(d);
    auto back = image_folder::parse(bytes.data(), bytes.size(), "c");
    CHECK(back.fingerprint == 42);
    CHECK(back.train_names == d.train_names);
    CHECK(back.test_names == d.test_names);
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
    // The first name's length (after the 3 labels at byte 58), made 5000: over the limit.
    auto long_name = bytes;
    long_name[61] = 0x88;
    long_name[62] = 0x13;
    CHECK(msg(long_name).find("c at byte 61: expected a file name of at most 4096 bytes, "
                              "found 5000 bytes")
          != std::string::npos);
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
    o.out_dir = tmp.path / "runs";
    o.threads = 2;
    o.log = nullptr;
    auto r = fit(p, o);
    CHECK(r.test_examples == 4);
    // The per-class report names the hardest test images by their files.
    std::ifstream in(r.run_dir / "report.md");
    std::string const report{std::istreambuf_iterator<char>(in), {}};
    CHECK(report.find("| dark/") != std::string::npos);
    CHECK(report.find("| light/") != std::string::npos);
    CHECK(report.find("| #0 |") == std::string::npos);
    CHECK(std::isfinite(r.test_loss));
    CHECK(r.experiment.find("ImageFolder<\"tiny\", {.classes = 2, .size = 16}>")
          != std::string::npos);
}

TEST_CASE("data/image_folder: a class folder or run directory that is not UTF-8 is refused "
          "before training") {
    // They trained fully, then summary.json failed (JSON type_error.316) and the model
    // could never be exported.
    temp_dir tmp("pipeline-folder-utf8");
    for (int c = 0; c < 2; ++c)
        for (int i = 0; i < 10; ++i)
            write_image(tmp.path / "tiny" / (c ? "caf\xe9" : "light")
                            / (std::to_string(i) + ".png"),
                        20 + i, 18, c ? 20 + i : 220 - i);
    // clang-format off
    constexpr auto p = Load<ImageFolder<"tiny", {.classes = 2, .size = 16}>>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>
                     | Train<{.epochs = 1, .batch_size = 8}>;
    // clang-format on
    run_options o;
    o.device = "cpu";
    o.data_dir = tmp.path;
    o.out_dir = tmp.path / "runs";
    o.threads = 2;
    o.log = nullptr;
    CHECK_THROWS_WITH_AS(
        fit(p, o),
        ((tmp.path / "tiny").string()
         + ": class folder 'caf\\xe9': expected a class name in UTF-8 (class "
           "names are written into summary.json and the model's metadata, "
           "which hold UTF-8 text only), found bytes that are not UTF-8: "
           "rename the folder")
            .c_str(),
        pipeline::error);
    CHECK_FALSE(fs::exists(o.out_dir)); // refused before the run directory was made
    fs::rename(tmp.path / "tiny" / "caf\xe9", tmp.path / "tiny" / "dark");
    o.out_dir = tmp.path / "r\xfcns";
    CHECK_THROWS_WITH_AS(
        fit(p, o),
        ("--out-dir " + tmp.path.string()
         + "/r\\xfcns: expected a path in UTF-8 (the run records its paths in "
           "JSON files, which hold UTF-8 text only), found bytes that are not "
           "UTF-8: rename it, or choose another")
            .c_str(),
        pipeline::error);
}

TEST_CASE("data/image_folder: an image over .max_pixels is refused from its header") {
    temp_dir tmp("pipeline-folder");
    for (auto cls : {"a", "b"})
        for (int i = 0; i < 3; ++i)
            write_image(tmp.path / cls / (std::to_string(i) + ".png"), 8, 8, 40);
    ImageFolderParams p{.classes = 2, .size = 16, .test_fraction = 0.3};

    SUBCASE("a JPEG of a few hundred bytes claiming 26000x26000 (the default limit)") {
        auto const bomb = tmp.path / "b" / "bomb.jpg";
        write_bytes(bomb, jpeg_claiming(26000, 26000));
        CHECK(fs::file_size(bomb) < 1000);
        auto msg = message_of([&] { image_folder::load(tmp.path, p, nullptr); });
        CHECK(msg
              == bomb.string()
                     + ": expected an image of at most 120000000 pixels (ImageFolder<..., "
                       "{.max_pixels = N}> raises the limit), found 26000x26000 "
                       "(676000000 pixels) claimed by its header");
    }
    SUBCASE("a 16-bit grey PNG of 30000x30000 in an RGB folder") {
        auto const bomb = tmp.path / "a" / "grey.png";
        write_bytes(bomb, png_header(30000, 30000));
        auto msg = message_of([&] { image_folder::load(tmp.path, p, nullptr); });
        CHECK(msg.find(bomb.string() + ": expected an image of at most 120000000 pixels")
              == 0);
        CHECK(msg.find("found 30000x30000 (900000000 pixels)") != std::string::npos);
    }
    SUBCASE("an RGB PNG too large for stb_image's own header check still names its size") {
        auto png = png_header(40000, 30000);
        png[24 + 1] = 2; // colour type: RGB (stbi_info refuses it as too large)
        auto const crc = crc32(0, png.data() + 12, 17);
        for (int i = 0; i < 4; ++i)
            png[29 + i] = static_cast<unsigned char>(crc >> (24 - 8 * i));
        write_bytes(tmp.path / "a" / "rgb.png", png);
        CHECK(message_of([&] {
                  image_folder::load(tmp.path, p, nullptr);
              }).find("found 40000x30000 (1200000000 pixels)")
              != std::string::npos);
    }
    SUBCASE("a limit set in the type, inclusive, and skip_unreadable does not skip it") {
        write_image(tmp.path / "b" / "big.png", 20, 20, 40);
        p.max_pixels = 399;
        p.skip_unreadable = true;
        auto msg = message_of([&] { image_folder::load(tmp.path, p, nullptr); });
        CHECK(msg.find((tmp.path / "b" / "big.png").string()
                       + ": expected an image of at most 399 pixels")
              == 0);
        CHECK(msg.find("found 20x20 (400 pixels)") != std::string::npos);
        p.max_pixels = 400;
        auto d = image_folder::load(tmp.path, p, nullptr);
        CHECK(d.train.size() + d.test.size() == 7);
    }
    SUBCASE("a long thin image that resizing would make larger than the limit") {
        write_image(tmp.path / "a" / "thin.png", 2, 300, 40);
        p.max_pixels = 1000;
        auto msg = message_of([&] { image_folder::load(tmp.path, p, nullptr); });
        CHECK(msg.find((tmp.path / "a" / "thin.png").string()
                       + ": expected an image whose shorter side resized to 16 keeps at "
                         "most 1000 pixels")
              != std::string::npos);
        CHECK(msg.find("found 2x300 (resized: 16x2400)") != std::string::npos);
    }
}

TEST_CASE("data/image_folder: the pixel limit prints in the type's name only when set") {
    CHECK(ImageFolder<"x", {.classes = 2}>::name() == "ImageFolder<\"x\", {.classes = 2}>");
    CHECK(ImageFolder<"x", {.classes = 2, .max_pixels = 1000}>::name()
          == "ImageFolder<\"x\", {.classes = 2, .max_pixels = 1000}>");
}

//! `px` (h x w x channels: 1 grey, 3 RGB, 4 CMYK) compressed by libjpeg-turbo at quality
//! 100 without chroma subsampling.
std::vector<unsigned char> turbo_jpeg(std::vector<unsigned char> const& px, int w, int h,
                                      int channels) {
    tjhandle tj = tjInitCompress();
    REQUIRE(tj);
    unsigned char* buffer = nullptr;
    unsigned long size = 0;
    int const format = channels == 1 ? TJPF_GRAY : channels == 3 ? TJPF_RGB : TJPF_CMYK;
    int const rc = tjCompress2(tj, px.data(), w, 0, h, format, &buffer, &size,
                               channels == 1 ? TJSAMP_GRAY : TJSAMP_444, 100, 0);
    tjDestroy(tj);
    REQUIRE(rc == 0);
    std::vector<unsigned char> out(buffer, buffer + size);
    tjFree(buffer);
    return out;
}

TEST_CASE("data/image_folder: JPEG is decoded by libjpeg-turbo, strictly") {
    auto decode = [](std::vector<unsigned char> const& bytes, int channels) {
        std::string reason;
        ImageFolderParams const p{.classes = 2, .channels = channels};
        auto img = image_folder::decode_image(bytes, p, "test image", reason);
        return std::pair{img, reason};
    };
    auto near = [](std::vector<std::uint8_t> const& got,
                   std::vector<unsigned char> const& want) {
        REQUIRE(got.size() == want.size());
        for (std::size_t i = 0; i < got.size(); ++i)
            if (std::abs(int{got[i]} - int{want[i]}) > 3)
                return false;
        return true;
    };
    // A 16x8 image in two flat halves (flat 8x8 blocks come back almost exactly).
    int const w = 16;
    int const h = 8;
    auto halves = [&](std::vector<unsigned char> const& left,
                      std::vector<unsigned char> const& right) {
        std::vector<unsigned char> px;
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x)
                for (auto v : x < w / 2 ? left : right)
                    px.push_back(v);
        return px;
    };
    SUBCASE("RGB, and RGB as grey") {
        auto const rgb = halves({200, 100, 50}, {10, 220, 130});
        auto const jpeg = turbo_jpeg(rgb, w, h, 3);
        auto [img, reason] = decode(jpeg, 3);
        REQUIRE(img);
        CHECK(img->width == w);
        CHECK(img->height == h);
        CHECK(near(img->hwc, rgb));
        auto grey = decode(jpeg, 1).first;
        REQUIRE(grey); // Rec. 601 luma: 0.299 R + 0.587 G + 0.114 B
        CHECK(near(grey->hwc, halves({124}, {147})));
    }
    SUBCASE("grey as RGB") {
        auto const jpeg = turbo_jpeg(halves({30}, {240}), w, h, 1);
        auto img = decode(jpeg, 3).first;
        REQUIRE(img);
        CHECK(near(img->hwc, halves({30, 30, 30}, {240, 240, 240})));
    }
    SUBCASE("CMYK (YCCK with Adobe's marker) as RGB, as PIL reads it") {
        auto const cmyk = halves({200, 100, 50, 255}, {200, 100, 50, 128});
        auto img = decode(turbo_jpeg(cmyk, w, h, 4), 3).first;
        REQUIRE(img);
        CHECK(near(img->hwc, halves({200, 100, 50}, {100, 50, 25})));
    }
    SUBCASE("a truncated file is refused, not filled with grey") {
        auto jpeg = turbo_jpeg(halves({200, 100, 50}, {10, 220, 130}), w, h, 3);
        jpeg.resize(jpeg.size() - 40);
        auto [img, reason] = decode(jpeg, 3);
        CHECK_FALSE(img);
        CHECK(reason.starts_with("a JPEG libjpeg-turbo refuses: "));
        CHECK(reason.size() > std::string("a JPEG libjpeg-turbo refuses: ").size());
    }
    SUBCASE("a Huffman table of more than 256 codes") {
        auto jpeg = jpeg_claiming(16, 16);
        unsigned char const marker[] = {0xff, 0xc4};
        auto const dht =
            std::search(jpeg.begin(), jpeg.end(), std::begin(marker), std::end(marker));
        REQUIRE(dht != jpeg.end());
        std::fill_n(dht + 5, 16, 255); // the first table's 16 code counts: 4080 codes
        auto [img, reason] = decode(jpeg, 3);
        CHECK_FALSE(img);
        CHECK(reason == "a JPEG libjpeg-turbo refuses: Bogus Huffman table definition");
    }
    SUBCASE("the files that made stb_image 2.27 read out of bounds") {
        // fuzz/stb-2.27-known/: a heap read after free, Huffman symbol ids out of range,
        // shifts of 32 or more, a wild read (SEGV in CI's fuzz smoke run). Each must be
        // refused with a reason or decode to the size its header claims.
        int files = 0;
        for (auto const& e : fs::directory_iterator(PIPELINE_FUZZ_DIR "/stb-2.27-known")) {
            if (e.path().extension() != ".jpg")
                continue;
            ++files;
            CAPTURE(e.path().filename().string());
            std::ifstream in(e.path(), std::ios::binary);
            std::vector<unsigned char> const bytes(std::istreambuf_iterator<char>(in), {});
            for (int channels : {1, 3}) {
                auto [img, reason] = decode(bytes, channels);
                if (img) {
                    auto const claimed = image_folder::read_claimed_size(bytes);
                    REQUIRE(claimed);
                    CHECK(img->hwc.size() == claimed->pixels() * channels);
                } else {
                    CHECK(reason.starts_with("a JPEG libjpeg-turbo refuses: "));
                }
            }
        }
        CHECK(files == 4);
    }
}

TEST_CASE("data/image_folder: files stb_image 2.27 misreads are refused or read right") {
    // Each was found by fuzz/fuzz_image_decode.cpp; Debian bookworm's stb_image (2.27)
    // would read out of bounds, or resize an image of no pixels.
    auto decode = [](std::vector<unsigned char> const& bytes, int channels) {
        std::string reason;
        ImageFolderParams const p{.classes = 2, .channels = channels};
        auto img = image_folder::decode_image(bytes, p, "test image", reason);
        return std::pair{img, reason};
    };
    SUBCASE("a top-down BMP (negative height) is read, rows in order") {
        // Its header's height is -32: it was refused as 32x18446744073709551584 pixels.
        int const w = 32, h = 32;
        std::vector<unsigned char> bmp;
        auto put = [&bmp](std::uint32_t v, int bytes) {
            for (int i = 0; i < bytes; ++i)
                bmp.push_back(static_cast<unsigned char>(v >> (8 * i)));
        };
        int const row = w * 3; // 96: already a multiple of 4
        bmp.push_back('B');
        bmp.push_back('M');
        put(static_cast<std::uint32_t>(54 + row * h), 4);
        put(0, 4);
        put(54, 4);
        put(40, 4);
        put(static_cast<std::uint32_t>(w), 4);
        put(static_cast<std::uint32_t>(-h), 4);
        put(1, 2);
        put(24, 2);
        put(0, 4);
        put(static_cast<std::uint32_t>(row * h), 4);
        put(2835, 4);
        put(2835, 4);
        put(0, 4);
        put(0, 4);
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x)
                for (int c = 0; c < 3; ++c)
                    bmp.push_back(static_cast<unsigned char>(y * 8)); // grey, by row
        auto [img, reason] = decode(bmp, 1);
        REQUIRE_MESSAGE(img, reason);
        CHECK(img->width == 32);
        CHECK(img->height == 32);
        CHECK(img->hwc[0] == 0); // the first row stored is the top row
        CHECK(img->hwc[31 * 32] == 31 * 8);
    }
    SUBCASE("a PNM header without digits (0x0, then a resize of nothing)") {
        std::string const pnm = "P6\x84 3 2\n255\n\x01\x02\x03";
        auto [img, reason] = decode({pnm.begin(), pnm.end()}, 3);
        CHECK_FALSE(img);
        CHECK(reason == "an image of 0x0 pixels");
    }
    SUBCASE("a 16-bit PGM decoded as RGB (read past the buffer), and a PPM as grey") {
        std::string const pgm = "P5\n2 1\n65535\n\x12\x34\xfe\xdc";
        auto const own = decode({pgm.begin(), pgm.end()}, 1).first;
        REQUIRE(own);
        REQUIRE(own->hwc.size() == 2);
        auto const [a, b] = std::pair{own->hwc[0], own->hwc[1]};
        CHECK(a != b);
        auto [rgb, reason] = decode({pgm.begin(), pgm.end()}, 3);
        REQUIRE(rgb);
        CHECK(rgb->hwc == std::vector<std::uint8_t>{a, a, a, b, b, b});
        std::string const ppm =
            std::string("P6\n1 1\n65535\n\xff\xff\x80\x80", 18) + std::string(2, '\0');
        auto const colour = decode({ppm.begin(), ppm.end()}, 3).first;
        REQUIRE(colour);
        auto const& c = colour->hwc;
        auto [grey, why] = decode({ppm.begin(), ppm.end()}, 1);
        REQUIRE(grey);
        CHECK(grey->hwc
              == std::vector<std::uint8_t>{
                  static_cast<std::uint8_t>((c[0] * 77 + c[1] * 150 + c[2] * 29) >> 8)});
    }
    SUBCASE("a GIF whose LZW code size is out of range fails without a reason") {
        std::vector<unsigned char> const gif{
            0x47, 0x49, 0x46, 0x38, 0x37, 0x61, 0x06, 0x00, 0x06, 0x00, 0x81, 0x00, 0x00,
            0x00, 0x00, 0x00, 0xff, 0x00, 0x00, 0x00, 0xff, 0x00, 0x00, 0x00, 0xff, 0x2c,
            0x00, 0x00, 0x00, 0x00, 0x06, 0x00, 0x06, 0x00, 0x00, 0x58, 0x08, 0x16, 0x00,
            0x01, 0x04, 0x10, 0x30, 0x40, 0xe0, 0xc0, 0x82, 0x03, 0x09, 0x0a, 0x24, 0x88,
            0x50, 0xe1, 0x42, 0x84, 0x07, 0x17, 0x06, 0x04, 0x00, 0x3b};
        decode(std::vector<unsigned char>{'x'}, 3); // leaves a failure reason behind
        auto [img, reason] = decode(gif, 3);
        CHECK_FALSE(img);
        CHECK(reason == "corrupt data (stb_image gave no reason)"); // not the stale one
    }
    SUBCASE("a PNG claiming 4294967295x4294967295 (the pixel count overflowed)") {
        auto png = png_header(0xffffffffu, 0xffffffffu);
        CHECK_THROWS_WITH_AS(decode(png, 3),
                             doctest::Contains("found 4294967295x4294967295 "
                                               "(18446744065119617025 pixels)"),
                             pipeline::error);
    }
}
