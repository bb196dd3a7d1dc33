// data/idx: the IDX reader on small files written by the test, and every error it names.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <torch/torch.h>
#include <zlib.h>

#include <pipeline/data/idx.hpp>

#include "../support.hpp"

using namespace pipeline;
using pipeline::testing::message_of;
using pipeline::testing::temp_dir;
namespace fs = std::filesystem;

namespace {

void put_u32(std::vector<unsigned char>& out, std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8)
        out.push_back(static_cast<unsigned char>(v >> s));
}

std::vector<unsigned char> image_file(std::uint32_t n, std::uint32_t h, std::uint32_t w,
                                      std::uint32_t magic = idx::images_magic) {
    std::vector<unsigned char> out;
    put_u32(out, magic);
    put_u32(out, n);
    put_u32(out, h);
    put_u32(out, w);
    for (std::uint32_t i = 0; i < n * h * w; ++i)
        out.push_back(static_cast<unsigned char>(i * 7));
    return out;
}

std::vector<unsigned char> label_file(std::vector<unsigned char> const& labels) {
    std::vector<unsigned char> out;
    put_u32(out, idx::labels_magic);
    put_u32(out, static_cast<std::uint32_t>(labels.size()));
    out.insert(out.end(), labels.begin(), labels.end());
    return out;
}

void write_gz(fs::path const& p, std::vector<unsigned char> const& bytes) {
    gzFile f = gzopen(p.c_str(), "wb");
    REQUIRE(f != nullptr);
    REQUIRE(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()))
            == static_cast<int>(bytes.size()));
    gzclose(f);
}

void write_plain(fs::path const& p, std::vector<unsigned char> const& bytes) {
    std::ofstream(p, std::ios::binary)
        .write(reinterpret_cast<char const*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
}

} // namespace

TEST_CASE("data/idx: reads gzip and plain files") {
    temp_dir dir;
    write_gz(dir.path / "images.gz", image_file(3, 4, 5));
    write_plain(dir.path / "images", image_file(3, 4, 5));
    write_gz(dir.path / "labels.gz", label_file({0, 9, 4}));
    for (auto name : {"images.gz", "images"}) {
        auto images = idx::read_images(dir.path / name, 4, 5);
        CHECK(images.sizes() == torch::IntArrayRef{3, 1, 4, 5});
        CHECK(images.dtype() == torch::kUInt8);
        CHECK(images.flatten()[1].item<int>() == 7);
        CHECK(images.flatten()[59].item<int>() == (59 * 7) % 256);
    }
    auto labels = idx::read_labels(dir.path / "labels.gz", 10);
    CHECK(labels.dtype() == torch::kInt64);
    REQUIRE(labels.size(0) == 3);
    CHECK(labels[1].item<std::int64_t>() == 9);
    auto [x, y] = idx::read_pair(dir.path / "images.gz", dir.path / "labels.gz", 10, 4, 5);
    CHECK(x.size(0) == y.size(0));
}

TEST_CASE("data/idx: a missing file names the path") {
    temp_dir dir;
    auto msg = message_of([&] { idx::read_images(dir.path / "nope.gz"); });
    CHECK(msg.find("nope.gz") != std::string::npos);
    CHECK(msg.find("no such file") != std::string::npos);
}

TEST_CASE("data/idx: wrong magic numbers") {
    temp_dir dir;
    write_gz(dir.path / "labels.gz", label_file({1, 2}));
    write_gz(dir.path / "images.gz", image_file(2, 2, 2));
    // Labels where images are expected and the other way round.
    auto msg = message_of([&] { idx::read_images(dir.path / "labels.gz"); });
    CHECK(msg.find("magic number 0x00000803") != std::string::npos);
    CHECK(msg.find("found 0x00000801") != std::string::npos);
    msg = message_of([&] { idx::read_labels(dir.path / "images.gz", 10); });
    CHECK(msg.find("magic number 0x00000801") != std::string::npos);
}

TEST_CASE("data/idx: truncated files say how much was there") {
    temp_dir dir;
    auto bytes = image_file(4, 3, 3);
    bytes.resize(bytes.size() - 5);
    write_gz(dir.path / "short.gz", bytes);
    auto msg = message_of([&] { idx::read_images(dir.path / "short.gz"); });
    CHECK(msg.find("truncated") != std::string::npos);
    CHECK(msg.find("at byte 47") != std::string::npos); // 16-byte header + 31 bytes
    CHECK(msg.find("36 bytes of 4 images of 3x3") != std::string::npos);
    CHECK(msg.find("after 31") != std::string::npos);

    auto const whole = image_file(1, 1, 1);
    std::vector<unsigned char> header_only(whole.begin(), whole.begin() + 6);
    write_plain(dir.path / "header", header_only);
    msg = message_of([&] { idx::read_images(dir.path / "header"); });
    CHECK(msg.find("the image count") != std::string::npos);
}

TEST_CASE("data/idx: trailing bytes, wrong sizes, bad labels, mismatched counts") {
    temp_dir dir;
    auto bytes = image_file(2, 3, 3);
    bytes.push_back(0);
    write_plain(dir.path / "long", bytes);
    CHECK(message_of([&] { idx::read_images(dir.path / "long"); }).find("more data")
          != std::string::npos);

    write_plain(dir.path / "img", image_file(2, 3, 3));
    CHECK(message_of([&] {
              idx::read_images(dir.path / "img", 28, 28);
          }).find("expected images of 28x28, found 3x3")
          != std::string::npos);

    write_plain(dir.path / "bad_labels", label_file({1, 10, 3}));
    auto msg = message_of([&] { idx::read_labels(dir.path / "bad_labels", 10); });
    CHECK(msg.find("a label in [0, 10)") != std::string::npos);
    CHECK(msg.find("found 10 (label 1)") != std::string::npos);
    CHECK(msg.find("at byte 9") != std::string::npos);

    write_plain(dir.path / "three_labels", label_file({1, 2, 3}));
    msg = message_of(
        [&] { idx::read_pair(dir.path / "img", dir.path / "three_labels", 10, 3, 3); });
    CHECK(msg.find("expected 2 labels (one per image in img), found 3")
          != std::string::npos);
}

TEST_CASE("data/idx: a corrupt gzip stream is an error, not garbage") {
    temp_dir dir;
    write_gz(dir.path / "images.gz", image_file(50, 8, 8));
    std::vector<char> raw;
    {
        std::ifstream in(dir.path / "images.gz", std::ios::binary);
        raw.assign(std::istreambuf_iterator<char>(in), {});
    }
    for (std::size_t i = 20; i < raw.size() - 8; i += 3)
        raw[i] = static_cast<char>(raw[i] ^ 0x5a);
    std::ofstream(dir.path / "images.gz", std::ios::binary)
        .write(raw.data(), static_cast<std::streamsize>(raw.size()));
    auto msg = message_of([&] { idx::read_images(dir.path / "images.gz"); });
    CHECK(msg != "(no error)");
    CHECK(msg.find("images.gz") != std::string::npos);
}

TEST_CASE("data/idx: a file of no images or no labels is refused, naming it") {
    temp_dir dir;
    write_gz(dir.path / "images.gz", image_file(0, 28, 28));
    write_gz(dir.path / "labels.gz", label_file({}));
    CHECK(message_of([&] { idx::read_images(dir.path / "images.gz", 28, 28); })
          == (dir.path / "images.gz").string()
                 + " at byte 4: expected an image count of at least 1, found 0 (a file "
                   "without images)");
    CHECK(message_of([&] { idx::read_labels(dir.path / "labels.gz", 10); })
          == (dir.path / "labels.gz").string()
                 + " at byte 4: expected a label count of at least 1, found 0 (a file "
                   "without labels)");
}

TEST_CASE("data/idx: a .gz cut before its CRC-32 and length trailer is refused") {
    temp_dir dir;
    auto const file = dir.path / "images.gz";
    write_gz(file, image_file(3, 4, 5));
    auto const whole = fs::file_size(file);
    // The whole trailer gone (the data all there), then half of it.
    for (auto cut : {8, 4, 1}) {
        CAPTURE(cut);
        write_gz(file, image_file(3, 4, 5));
        fs::resize_file(file, whole - static_cast<std::uintmax_t>(cut));
        CHECK(message_of([&] { idx::read_images(file, 4, 5); })
              == file.string()
                     + ": expected a complete gzip stream ending in its CRC-32 and length "
                       "trailer, found the end of the file before the trailer (the file is "
                       "truncated)");
    }
    write_gz(dir.path / "labels.gz", label_file({1, 2, 3}));
    fs::resize_file(dir.path / "labels.gz", fs::file_size(dir.path / "labels.gz") - 8);
    CHECK(message_of([&] {
              idx::read_labels(dir.path / "labels.gz", 10);
          }).find((dir.path / "labels.gz").string() + ": expected a complete gzip stream")
          == 0);
}
