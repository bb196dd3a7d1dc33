// io/safetensors: the format as the specification writes it (byte layout, header
// padding, dtypes), round trips, the real MobileNet v1 file, and every kind of bad input
// as one pipeline::error.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>
#include <unistd.h>

#include <pipeline/error.hpp>
#include <pipeline/io/safetensors.hpp>

#include "../support.hpp"

using namespace pipeline;
namespace fs = std::filesystem;

namespace {
fs::path temp_dir() {
    auto dir =
        fs::temp_directory_path() / ("pipeline-safetensors-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    return dir;
}

std::vector<unsigned char> file_bytes(fs::path const& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(fs::path const& p, std::vector<unsigned char> const& b) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<char const*>(b.data()),
              static_cast<std::streamsize>(b.size()));
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
    auto const dir = temp_dir();
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
    auto const path = temp_dir() / "bad.safetensors";
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
    // A header length larger than the file (or absurd).
    auto lying = good;
    lying[0] = 0xff;
    lying[5] = 0x7f;
    CHECK(parse_error(lying).find("truncated or not a safetensors file")
          != std::string::npos);
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
