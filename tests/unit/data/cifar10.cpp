// data/cifar10: the binary reader on small files written here (every error), the lookup
// of the data directory, and the real CIFAR-10 test batch when ../shared/data has it.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <pipeline/data/cifar10.hpp>

#include "../support.hpp"

using namespace pipeline;
using pipeline::testing::message_of;
using pipeline::testing::temp_dir;
namespace fs = std::filesystem;

namespace {

//! `n` records with label `i % 10` and pixel bytes (i + c + y + x) % 256.
std::vector<std::uint8_t> records(int n, int label_offset = 0) {
    std::vector<std::uint8_t> out;
    for (int i = 0; i < n; ++i) {
        out.push_back(static_cast<std::uint8_t>((i + label_offset) % 10));
        for (int c = 0; c < 3; ++c)
            for (int y = 0; y < 32; ++y)
                for (int x = 0; x < 32; ++x)
                    out.push_back(static_cast<std::uint8_t>((i + 7 * c + 3 * y + x) % 256));
    }
    return out;
}

void write(fs::path const& p, std::vector<std::uint8_t> const& bytes) {
    std::ofstream f(p, std::ios::binary);
    f.write(reinterpret_cast<char const*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

//! The official layout: six files of exactly 10,000 records each. The first `distinct`
//! records of each are `records(distinct, b)`; the rest are zeros (label 0, black), left
//! as holes in a sparse file so that writing them costs nothing.
void write_release(fs::path const& dir, int distinct) {
    fs::create_directories(dir);
    auto const full = cifar::release_records * static_cast<std::uintmax_t>(3073);
    for (int b = 1; b <= 5; ++b) {
        auto const p = dir / ("data_batch_" + std::to_string(b) + ".bin");
        write(p, records(distinct, b));
        fs::resize_file(p, full);
    }
    write(dir / "test_batch.bin", records(distinct));
    fs::resize_file(dir / "test_batch.bin", full);
    std::ofstream(dir / "batches.meta.txt")
        << "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n";
}

} // namespace

TEST_CASE("data/cifar10: a batch file reads into [N, 3, 32, 32] planes and labels") {
    temp_dir tmp("pipeline-cifar");
    write(tmp.path / "b.bin", records(3));
    auto d = cifar::read_batch(tmp.path / "b.bin");
    REQUIRE(d.images.sizes() == torch::IntArrayRef{3, 3, 32, 32});
    CHECK(d.images.dtype() == torch::kUInt8);
    CHECK(torch::equal(d.labels, torch::tensor({0, 1, 2}, torch::kInt64)));
    // record 2, green plane (c = 1), row 5, column 9: (2 + 7 + 15 + 9) % 256
    CHECK(d.images[2][1][5][9].item<int>() == 33);
    CHECK(d.images[1][2][31][31].item<int>() == (1 + 14 + 93 + 31) % 256);
}

TEST_CASE("data/cifar10: the loader reads five training batches and the test batch") {
    temp_dir tmp("pipeline-cifar");
    auto dir = tmp.path / "cifar-10-batches-bin";
    write_release(dir, 4);
    CHECK(dataset_loader<CIFAR10>::locate(tmp.path) == dir);
    auto s = dataset_loader<CIFAR10>::load(dir);
    CHECK(s.train.size() == 50000);
    CHECK(s.test.size() == 10000);
    CHECK(s.train.images.sizes() == torch::IntArrayRef{50000, 3, 32, 32});
    // batch 2's first record has label (0 + 2) % 10
    CHECK(s.train.labels[10000].item<std::int64_t>() == 2);
    CHECK(s.train.labels[10001].item<std::int64_t>() == 3);
    CHECK(s.test.labels[3].item<std::int64_t>() == 3);
}

TEST_CASE("data/cifar10: every malformed input is one error naming the file and offset") {
    temp_dir tmp("pipeline-cifar");
    auto p = tmp.path / "bad.bin";

    SUBCASE("truncated record") {
        auto bytes = records(2);
        bytes.resize(bytes.size() - 100);
        write(p, bytes);
        auto msg = message_of([&] { cifar::read_batch(p); });
        CHECK(msg.find(p.string() + " at byte 3073") != std::string::npos);
        CHECK(msg.find("only 2973 bytes") != std::string::npos);
    }
    SUBCASE("wrong record size (a CIFAR-100 record has two label bytes)") {
        write(p, std::vector<std::uint8_t>(3074 * 3, 1));
        auto msg = message_of([&] { cifar::read_batch(p); });
        CHECK(msg.find("whole record of 3073 bytes") != std::string::npos);
        CHECK(msg.find("at byte 9219") != std::string::npos);
        CHECK(msg.find("only 3 bytes") != std::string::npos);
    }
    SUBCASE("label out of range") {
        auto bytes = records(3);
        bytes[2 * 3073] = 10;
        write(p, bytes);
        auto msg = message_of([&] { cifar::read_batch(p); });
        CHECK(msg.find(p.string() + " at byte 6146") != std::string::npos);
        CHECK(msg.find("a label in [0, 10)") != std::string::npos);
        CHECK(msg.find("10 (record 2)") != std::string::npos);
    }
    SUBCASE("empty file") {
        write(p, {});
        CHECK(message_of([&] { cifar::read_batch(p); }).find("an empty file")
              != std::string::npos);
    }
    SUBCASE("missing file") {
        CHECK(message_of([&] {
                  cifar::read_batch(tmp.path / "nope.bin");
              }).find("nope.bin: expected a CIFAR-10 binary batch file, found no such file")
              != std::string::npos);
    }
    SUBCASE("a missing training batch names it") {
        write_release(tmp.path, 1);
        fs::remove(tmp.path / "data_batch_4.bin");
        CHECK(message_of([&] {
                  dataset_loader<CIFAR10>::load(tmp.path);
              }).find("data_batch_4.bin")
              != std::string::npos);
    }
    SUBCASE("class names of another dataset") {
        write_release(tmp.path, 1);
        std::ofstream(tmp.path / "batches.meta.txt") << "apple\naquarium_fish\n";
        auto msg = message_of([&] { dataset_loader<CIFAR10>::load(tmp.path); });
        CHECK(msg.find("batches.meta.txt") != std::string::npos);
        CHECK(msg.find("(apple, aquarium_fish)") != std::string::npos);
    }
}

TEST_CASE("data/cifar10: a release file of another record count is refused by the loader") {
    temp_dir tmp("pipeline-cifar");
    write_release(tmp.path, 2);
    auto const record = std::uintmax_t{3073};
    SUBCASE("a training batch cut at a record boundary") {
        auto const p = tmp.path / "data_batch_3.bin";
        fs::resize_file(p, 9999 * record);
        CHECK(message_of([&] { dataset_loader<CIFAR10>::load(tmp.path); })
              == p.string()
                     + ": expected 10000 records of 3073 bytes (30730000 bytes), as every "
                       "file of the official release holds, found 30726927 bytes (9999 "
                       "records; truncated, or not the official release?)");
        // The batch reader itself reads any whole number of records.
        CHECK(cifar::read_batch(p).size() == 9999);
    }
    SUBCASE("a test batch with a record and a half too many") {
        auto const p = tmp.path / "test_batch.bin";
        fs::resize_file(p, 10001 * record + 1536);
        CHECK(message_of([&] {
                  dataset_loader<CIFAR10>::load(tmp.path);
              }).find(p.string() + ": expected 10000 records of 3073 bytes")
              == 0);
        CHECK(message_of([&] {
                  dataset_loader<CIFAR10>::load(tmp.path);
              }).find("found 30734609 bytes (10001 records and 1536 bytes;")
              != std::string::npos);
    }
}

TEST_CASE("data/cifar10: a missing directory says where it looked and how to download") {
    auto const nowhere = fs::temp_directory_path() / "pipeline-no-such-cifar";
    auto msg = message_of([&] { dataset_loader<CIFAR10>::locate(nowhere); });
    CHECK(msg.find(nowhere.string()) != std::string::npos);
    CHECK(msg.find(cifar::download_url) != std::string::npos);
    CHECK(msg.find("scripts/download-cifar10.sh") != std::string::npos);
}

TEST_CASE("data/cifar10: the real test batch (shared JPEG copy, converted on demand)") {
    // PIPELINE_CIFAR10_DIR may point at an unpacked release; otherwise the shared JPEG copy
    // is converted once into the build tree.
    fs::path dir;
    if (char const* env = std::getenv("PIPELINE_CIFAR10_DIR"); env && *env) {
        dir = dataset_loader<CIFAR10>::locate(fs::path(env));
    } else {
        fs::path const archive = testing::shared_data_dir() / "cifar10-jpeg.tar.xz";
        fs::path const script = testing::shared_data_dir() / "cifar10-to-bin.py";
        fs::path const out = testing::build_data_dir() / "cifar10";
        dir = out / "cifar-10-batches-bin";
        if (!fs::exists(dir / "test_batch.bin")) {
            if (!fs::exists(archive) || !fs::exists(script)) {
                MESSAGE("SKIPPED: "
                        << archive.string()
                        << " is absent (set PIPELINE_CIFAR10_DIR to an unpacked "
                           "CIFAR-10 binary release to run this test)");
                return;
            }
            // Convert into a private directory, then rename: a concurrent or interrupted
            // run never leaves a half-written release behind.
            auto tmp = out.string() + ".tmp-" + std::to_string(::getpid());
            auto cmd = "/usr/bin/python3 '" + script.string() + "' '" + archive.string()
                       + "' '" + tmp + "' > /dev/null";
            if (std::system(cmd.c_str()) != 0) {
                MESSAGE("SKIPPED: converting " << archive.string()
                                               << " failed (needs /usr/bin/python3 with "
                                                  "python3-pil): "
                                               << cmd);
                return;
            }
            std::error_code ec;
            fs::create_directories(out.parent_path());
            fs::rename(tmp, out, ec);
            fs::remove_all(tmp, ec);
        }
    }
    auto test = cifar::read_batch(dir / "test_batch.bin");
    REQUIRE(test.size() == 10000);
    CHECK(test.images.sizes() == torch::IntArrayRef{10000, 3, 32, 32});
    auto counts = torch::bincount(test.labels, {}, 10);
    CHECK(torch::equal(counts, torch::full({10}, 1000, torch::kInt64)));
    // Real photographs: the pixel mean is near CIFAR-10's published statistics.
    auto mean = test.images.to(torch::kFloat64).mean({0, 2, 3}) / 255.0;
    for (int c = 0; c < 3; ++c)
        CHECK(mean[c].item<double>() == doctest::Approx(CIFAR10::mean[c]).epsilon(0.03));
    cifar::check_meta(dir / "batches.meta.txt", CIFAR10::class_names);
}
