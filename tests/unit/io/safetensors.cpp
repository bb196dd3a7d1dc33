// io/safetensors: the format as the specification writes it (byte layout, header
// padding, dtypes), round trips, the real MobileNet v1 file, and every kind of bad input
// as one pipeline::error.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>
#include <unistd.h>

#include <pipeline/error.hpp>
#include <pipeline/io/crc32c.hpp>
#include <pipeline/io/safetensors.hpp>

#include "../support.hpp"

using namespace pipeline;
namespace fs = std::filesystem;

namespace {
fs::path scratch_dir() {
    auto dir =
        fs::temp_directory_path() / ("pipeline-safetensors-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    return dir;
}

std::vector<unsigned char> file_bytes(fs::path const& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

//! A file image built by hand from a header text and data bytes, as the spec lays it out.
std::vector<unsigned char> image(std::string const& header,
                                 std::vector<unsigned char> data) {
    std::vector<unsigned char> out;
    out.reserve(8 + header.size() + data.size());
    std::uint64_t const n = header.size();
    for (int i = 0; i < 8; ++i)
        out.push_back(static_cast<unsigned char>(n >> (8 * i)));
    for (char c : header)
        out.push_back(static_cast<unsigned char>(c));
    for (auto b : data)
        out.push_back(b);
    return out;
}

std::vector<unsigned char> floats(std::vector<float> const& v) {
    std::vector<unsigned char> out(v.size() * 4);
    std::memcpy(out.data(), v.data(), out.size());
    return out;
}

std::string parse_error(std::vector<unsigned char> const& bytes) {
    try {
        safetensors::parse(bytes, "test.safetensors");
    } catch (pipeline::error const& e) {
        return e.what();
    }
    return "no error";
}
} // namespace

TEST_CASE("io/safetensors: reads a file laid out by hand from the specification") {
    // Two tensors, the header padded with spaces (allowed by the spec), metadata.
    std::string header = R"({"__metadata__":{"mean":"0.5"},)"
                         R"("b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},)"
                         R"("a":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}}   )";
    auto f = safetensors::parse(image(header, floats({1, 2, 3, 4})), "hand");
    REQUIRE(f.tensors.size() == 2);
    // File order is data order, not header order.
    CHECK(f.tensors[0].name == "a");
    CHECK(f.tensors[1].name == "b");
    CHECK(f.tensors[0].tensor.sizes() == torch::IntArrayRef{1, 2});
    CHECK((f.tensors[0].tensor.scalar_type() == torch::kFloat32));
    CHECK(torch::equal(f.tensors[1].tensor, torch::tensor({3.0F, 4.0F})));
    CHECK(f.metadata.at("mean") == "0.5");
    CHECK(f.find("b") != nullptr);
    CHECK(f.find("c") == nullptr);
}

TEST_CASE(
    "io/safetensors: the writer follows the byte layout and round-trips every dtype") {
    auto const dir = scratch_dir();
    auto const path = dir / "round.safetensors";
    torch::manual_seed(1);
    std::vector<named_tensor> in{
        {"conv.weight", torch::randn({4, 3, 3, 3})},
        {"half", torch::randn({5}).to(torch::kFloat16)},
        {"bf", torch::randn({2, 3}).to(torch::kBFloat16)},
        {"bn.num_batches_tracked", torch::tensor(7, torch::kInt64)}, // a 0-d scalar
        {"empty", torch::zeros({0, 4})},
        {"double", torch::randn({3}, torch::kFloat64)},
        {"mask", torch::tensor({true, false, true})},
        {"strided",
         torch::arange(12, torch::kFloat32).reshape({3, 4}).t()}, // not contiguous
    };
    write_safetensors(path, in, {{"experiment", "Load<FashionMNIST> | Model<ResNet18>"}});
    CHECK_FALSE(fs::exists(dir / "round.safetensors.tmp"));

    // Byte layout: little-endian u64 length, a JSON object padded to 8 bytes, then data.
    auto const bytes = file_bytes(path);
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i)
        n = (n << 8) | bytes[i];
    CHECK(n % 8 == 0);
    auto const h =
        nlohmann::json::parse(std::string(bytes.begin() + 8, bytes.begin() + 8 + n));
    CHECK(h["__metadata__"]["experiment"] == "Load<FashionMNIST> | Model<ResNet18>");
    CHECK(h["half"]["dtype"] == "F16");
    CHECK(h["bf"]["dtype"] == "BF16");
    CHECK(h["bn.num_batches_tracked"]["shape"] == nlohmann::json::array());
    CHECK(h["conv.weight"]["data_offsets"] == nlohmann::json::array({0, 432}));
    CHECK(bytes.size() == 8 + n + 432 + 10 + 12 + 8 + 0 + 24 + 3 + 48);

    auto out = read_safetensors(path);
    REQUIRE(out.tensors.size() == in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        CAPTURE(in[i].name);
        CHECK(out.tensors[i].name == in[i].name);
        CHECK((out.tensors[i].tensor.scalar_type() == in[i].tensor.scalar_type()));
        CHECK(torch::equal(out.tensors[i].tensor, in[i].tensor));
    }
    CHECK(out.metadata.size() == 1);

    // Writing again replaces the file whole.
    write_safetensors(path, {{"x", torch::ones({2})}});
    CHECK(read_safetensors(path).tensors.size() == 1);
    fs::remove_all(dir);
}

TEST_CASE("io/safetensors: the writer refuses duplicate names and unsupported dtypes") {
    auto const path = scratch_dir() / "bad.safetensors";
    CHECK_THROWS_WITH_AS(
        write_safetensors(path, {{"a", torch::ones(1)}, {"a", torch::ones(1)}}),
        doctest::Contains("a duplicate"), pipeline::error);
    CHECK_THROWS_WITH_AS(
        write_safetensors(path, {{"c", torch::ones(1, torch::kComplexFloat)}}),
        doctest::Contains("a dtype among F64, F32"), pipeline::error);
    CHECK_FALSE(fs::exists(path));
    fs::remove_all(path.parent_path());
}

TEST_CASE("io/safetensors: bad input is one clear error, never a crash") {
    std::string const ok = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    auto const good = image(ok, floats({1, 2}));
    CHECK(parse_error(good) == "no error");

    // Shorter than the length field.
    CHECK(parse_error({1, 2, 3}).find("3 bytes in all") != std::string::npos);
    // Truncated anywhere: in the header, or in the data.
    for (std::size_t cut :
         {std::size_t{12}, good.size() - 1, std::size_t{8 + ok.size() + 3}}) {
        CAPTURE(cut);
        auto const err = parse_error({good.begin(), good.begin() + cut});
        CHECK(err != "no error");
        CHECK(err.find("test.safetensors") == 0);
    }
    // A header length larger than the file, and one beyond safetensors' 100 MB limit: each
    // names the limit that applies (the second once said "at most <file size>", found
    // more, which contradicted itself).
    auto lying = good;
    lying[0] = static_cast<unsigned char>(ok.size() + 9);
    CHECK(parse_error(lying)
          == "test.safetensors (byte 0): expected a header length of at most "
                 + std::to_string(good.size() - 8) + " bytes (the rest of the file), found "
                 + std::to_string(ok.size() + 9)
                 + " (truncated or not a safetensors file)");
    auto huge = good;
    huge[0] = 0x18; // 100,000,024 = 0x05F5E118
    huge[1] = 0xe1;
    huge[2] = 0xf5;
    huge[3] = 0x05;
    CHECK(parse_error(huge)
          == "test.safetensors (byte 0): expected a header length of at most 100000000 "
             "bytes (safetensors' limit), found 100000024 (not a safetensors file, or a "
             "hostile one)");
    // Offsets beyond the data.
    CHECK(parse_error(image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,800]}})",
                            floats({1, 2})))
              .find("data_offsets within the 8 data bytes")
          != std::string::npos);
    // Offsets that do not match the shape.
    CHECK(parse_error(image(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})",
                            floats({1, 2})))
              .find("3 elements (12 bytes)")
          != std::string::npos);
    // Two tensors sharing bytes.
    CHECK(parse_error(image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                            R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                            floats({1, 2})))
              .find("without gaps or overlaps")
          != std::string::npos);
    // Bytes nobody owns.
    CHECK(parse_error(image(ok, floats({1, 2, 3}))).find("trailing bytes nobody owns")
          != std::string::npos);
    // Unknown dtype.
    CHECK(parse_error(image(R"({"a":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}})",
                            {1, 2}))
              .find("dtype 'F8_E4M3'")
          != std::string::npos);
    // Invalid JSON, a non-object header, a missing field, negative or huge dimensions.
    CHECK(parse_error(image("{\"a\":", {})).find("invalid JSON") != std::string::npos);
    CHECK(parse_error(image("[1, 2]", {})).find("'{'") != std::string::npos);
    CHECK(parse_error(image(R"({"a":{"dtype":"F32","shape":[2]}})", floats({1, 2})))
              .find("without data_offsets")
          != std::string::npos);
    CHECK(parse_error(image(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})",
                            floats({1, 2})))
              .find("non-negative integer dimensions")
          != std::string::npos);
    CHECK(parse_error(image(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],)"
                            R"("data_offsets":[0,8]}})",
                            floats({1, 2})))
              .find("too large")
          != std::string::npos);
    // An empty tensor whose other dimensions overflow the strides.
    CHECK(parse_error(image(R"({"a":{"dtype":"F32","shape":[0,4611686018427387904,4],)"
                            R"("data_offsets":[0,0]}})",
                            {}))
              .find("too large")
          != std::string::npos);
    CHECK(parse_error(
              image(R"({"a":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]}})", {}))
          == "no error");
    CHECK(parse_error(image(R"({"__metadata__":{"k":1}})", {})).find("__metadata__.k")
          != std::string::npos);
    // A missing file.
    CHECK_THROWS_WITH_AS(read_safetensors("/nonexistent/x.safetensors"),
                         doctest::Contains("no such file"), pipeline::error);
}

TEST_CASE("io/safetensors: a header nested deeper than a tensor entry is refused, not "
          "walked") {
    // 100,000 nested arrays (200 KB) once overflowed the stack in the error path's
    // recursive dump(); the parser now stops at the ninth level, before building it.
    std::string const deep = std::string(100'000, '[') + std::string(100'000, ']');
    std::string const header =
        R"({"a":{"dtype":"F32","shape":)" + deep + R"(,"data_offsets":[0,0]}})";
    CHECK(parse_error(image(header, {}))
          == "test.safetensors (header, bytes 8.." + std::to_string(8 + header.size())
                 + "): expected a safetensors header nested at most 8 deep, found an array "
                   "or object opened 9 deep");
    CHECK(parse_error(image(R"({"__metadata__":{"k":)" + deep + "}}", {}))
              .find("nested at most 8 deep")
          != std::string::npos);
    // As deep as the format goes still reads.
    CHECK(parse_error(image(R"({"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],)"
                            R"("data_offsets":[0,8]}})",
                            floats({1, 2})))
          == "no error");
}

TEST_CASE("io/safetensors: reads the real MobileNet v1 ImageNet file") {
    fs::path const path =
        testing::shared_data_dir() / "mobilenetv1_100.imagenet.partial.safetensors";
    if (!fs::exists(path)) {
        MESSAGE("SKIPPED: " << path.string() << " is absent (see shared/data/README.md)");
        return;
    }
    auto const f = read_safetensors(path);
    CHECK(f.tensors.size() == 136);
    CHECK(f.tensors.front().name == "conv_stem.weight");
    CHECK(f.tensors.front().tensor.sizes() == torch::IntArrayRef{32, 3, 3, 3});
    CHECK(f.metadata.at("mean") == "0.5,0.5,0.5");
    CHECK(f.find("blocks.4.1.conv_pw.weight") == nullptr);
    REQUIRE(f.find("classifier.weight") != nullptr);
    CHECK(f.find("classifier.weight")->sizes() == torch::IntArrayRef{1000, 1024});
    CHECK(torch::isfinite(*f.find("blocks.3.5.conv_pw.weight")).all().item<bool>());
}

TEST_CASE("io/crc32c: the standard check values (RFC 3720, and \"123456789\")") {
    CHECK(crc32c(std::string_view("123456789")) == 0xe3069283u);
    std::vector<unsigned char> zeros(32, 0x00), ones(32, 0xff), up(32), down(32);
    for (int i = 0; i < 32; ++i) {
        up[static_cast<std::size_t>(i)] = static_cast<unsigned char>(i);
        down[static_cast<std::size_t>(i)] = static_cast<unsigned char>(31 - i);
    }
    CHECK(crc32c(zeros) == 0x8a9136aau);
    CHECK(crc32c(ones) == 0x62a8ab43u);
    CHECK(crc32c(up) == 0x46dd794eu);
    CHECK(crc32c(down) == 0x113fdb5cu);
    // Continuing a CRC over a split input gives the CRC of the whole, at every split (the
    // 8-byte loop and the byte loop meet anywhere).
    std::string const text = "The quick brown fox jumps over the lazy dog, twice over.";
    for (std::size_t cut = 0; cut <= text.size(); ++cut)
        CHECK(crc32c(std::string_view(text).substr(cut),
                     crc32c(std::string_view(text).substr(0, cut)))
              == crc32c(std::string_view(text)));
    CHECK(crc32c_hex(0xe3069283u) == "e3069283");
    CHECK(crc32c_hex(0x0000000au) == "0000000a");
    // TensorBoard's masking (tensorflow/core/lib/hash/crc32c.h: rotate right 15, add).
    CHECK(masked_crc32c(0u) == 0xa282ead8u);
    CHECK(masked_crc32c(0xe3069283u)
          == (((0xe3069283u >> 15) | (0xe3069283u << 17)) + 0xa282ead8u));
}

TEST_CASE(
    "io/safetensors: every file the writer makes carries checksums the reader verifies") {
    auto const dir = scratch_dir();
    auto const path = dir / "sums.safetensors";
    write_safetensors(path, {{"a", torch::arange(6, torch::kFloat32).reshape({2, 3})}},
                      {{"note", "x"}});
    auto const f = read_safetensors(path);
    CHECK(f.verified);
    CHECK(f.metadata
          == std::map<std::string, std::string>{{"note", "x"}}); // sums taken out
    auto bytes = file_bytes(path);
    auto const flipped = [&](std::size_t at) {
        auto b = bytes;
        b[at] ^= 0x01;
        return parse_error(b);
    };
    // The last data byte (tensor 'a'), a byte of the metadata's value, the shape.
    CHECK(flipped(bytes.size() - 1)
              .find("test.safetensors: tensor 'a': expected the bytes it "
                    "was written with (CRC-32C ")
          == 0);
    std::string const text(bytes.begin(), bytes.end());
    CHECK(flipped(text.find("\"x\"") + 1)
              .find("test.safetensors (header): expected the bytes")
          == 0);
    auto reshaped = text;
    reshaped.replace(reshaped.find("[2,3]"), 5, "[3,2]");
    CHECK(
        parse_error({reshaped.begin(), reshaped.end()}).find("(header): expected the bytes")
        != std::string::npos);
    // A file of another writer (no checksums) reads as before, unverified.
    auto const plain =
        image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", floats({1, 2}));
    CHECK(parse_error(plain) == "no error");
    CHECK_FALSE(safetensors::parse(plain, "plain").verified);
    // The name of the checksums is the writer's own.
    CHECK_THROWS_WITH_AS(write_safetensors(path, {}, {{safetensors::checksum_key, "{}"}}),
                         doctest::Contains("the writer's own checksums"), pipeline::error);
    fs::remove_all(dir);
}
