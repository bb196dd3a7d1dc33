// Load<CIFAR10>: the official binary release (`cifar-10-batches-bin/data_batch_{1..5}.bin`,
// `test_batch.bin`, `batches.meta.txt`). Each record is one label byte and 3072 pixel bytes
// (1024 red, 1024 green, 1024 blue, row-major). Every malformed input is one
// pipeline::error naming the file and the byte offset.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include <pipeline/data/cifar10_format.hpp>
#include <pipeline/data/dataset.hpp>
#include <pipeline/dsl/datasets.hpp>
#include <pipeline/error.hpp>

namespace pipeline {
namespace cifar {

//! Parses the records of one batch held in memory (`name` is used in error messages):
//! images uint8 [N, 3, 32, 32], labels int64 [N]. Labels must lie in [0, classes).
inline labelled_images parse_batch(std::uint8_t const* data, std::size_t size,
                                   std::string const& name, int classes = 10) {
    auto const n = check_batch(data, size, name, classes);
    auto const rows = static_cast<std::int64_t>(n);
    auto all = torch::from_blob(const_cast<std::uint8_t*>(data), {rows, record_bytes},
                                torch::kUInt8);
    auto labels = all.select(1, 0).to(torch::kInt64);
    auto images =
        all.narrow(1, 1, pixel_bytes).reshape({rows, channels, side, side}).clone();
    return {images, labels};
}

//! Reads one batch file (`data_batch_N.bin` or `test_batch.bin`, or any file of records).
//! With `expected_records` > 0, a file holding another number of records is refused from
//! its size, before it is read: a release file cut at a record boundary would otherwise
//! load with fewer images and no word.
inline labelled_images read_batch(std::filesystem::path const& path, int classes = 10,
                                  std::size_t expected_records = 0) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        throw error(path.string(), "a CIFAR-10 binary batch file", "no such file");
    auto const size = std::filesystem::file_size(path, ec);
    if (ec)
        throw error(path.string(), "a readable file", "its size could not be read");
    auto const record = static_cast<std::uintmax_t>(record_bytes);
    if (expected_records > 0 && size != expected_records * record)
        throw error(
            path.string(),
            std::to_string(expected_records) + " records of 3073 bytes ("
                + std::to_string(expected_records * record)
                + " bytes), as every file of the official release holds",
            std::to_string(size) + " bytes (" + std::to_string(size / record) + " records"
                + (size % record ? " and " + std::to_string(size % record) + " bytes"
                                 : std::string())
                + "; truncated, or not the official release?)");
    std::vector<std::uint8_t> bytes(size);
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw error(path.string(), "a readable file", "it could not be opened");
    in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size));
    if (static_cast<std::uintmax_t>(in.gcount()) != size)
        throw error(path.string() + " at byte " + std::to_string(in.gcount()),
                    std::to_string(size) + " bytes", "a read error");
    return parse_batch(bytes.data(), bytes.size(), path.string(), classes);
}

//! Checks `batches.meta.txt` (one class name per line) against the expected names, so a
//! directory of another dataset in the same format (CIFAR-100) is not read as CIFAR-10.
template <std::size_t K>
void check_meta(std::filesystem::path const& path,
                std::array<std::string_view, K> const& expected) {
    std::ifstream in(path);
    if (!in)
        throw error(path.string(), "a readable list of class names", "no such file");
    std::vector<std::string> names;
    std::string line;
    while (std::getline(in, line)) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
            line.pop_back();
        if (!line.empty())
            names.push_back(line);
    }
    std::string want;
    std::string found;
    for (auto n : expected)
        want += (want.empty() ? "" : ", ") + std::string(n);
    for (auto const& n : names)
        found += (found.empty() ? "" : ", ") + n;
    if (found != want)
        throw error(path.string(), "the CIFAR-10 class names (" + want + ")",
                    "(" + found + ")");
}

} // namespace cifar

template <>
struct dataset_loader<CIFAR10> {
    static std::filesystem::path locate(std::optional<std::filesystem::path> const& given) {
        return find_data_dir(
            given, "cifar-10-batches-bin", "test_batch.bin", {},
            std::string("download the binary version from ") + cifar::download_url
                + " and unpack it (`curl -L " + cifar::download_url
                + " | tar xz -C DIR`, or scripts/download-cifar10.sh DIR), then pass "
                  "--data-dir DIR or set PIPELINE_DATA_DIR=DIR");
    }

    static dataset_splits load(std::filesystem::path const& dir) {
        using D = CIFAR10;
        std::error_code ec;
        if (std::filesystem::exists(dir / "batches.meta.txt", ec))
            cifar::check_meta(dir / "batches.meta.txt", D::class_names);
        std::vector<torch::Tensor> images;
        std::vector<torch::Tensor> labels;
        for (int b = 1; b <= 5; ++b) {
            auto part =
                cifar::read_batch(dir / ("data_batch_" + std::to_string(b) + ".bin"),
                                  D::classes, cifar::release_records);
            images.push_back(part.images);
            labels.push_back(part.labels);
        }
        auto test =
            cifar::read_batch(dir / "test_batch.bin", D::classes, cifar::release_records);
        return {{torch::cat(images), torch::cat(labels)}, test};
    }
};

} // namespace pipeline
