// The official CIFAR-10 binary format: records of one label byte and 3072 pixel bytes
// (1024 red, 1024 green, 1024 blue, row-major). Torch-free, so the fuzz target builds
// without LibTorch; pipeline/data/cifar10.hpp makes tensors of it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <pipeline/error.hpp>

namespace pipeline::cifar {

inline constexpr std::int64_t side = 32;
inline constexpr std::int64_t channels = 3;
inline constexpr std::int64_t pixel_bytes = channels * side * side;
inline constexpr std::int64_t record_bytes = 1 + pixel_bytes;

//! Records in every batch file of the official release: 10,000 in each of
//! data_batch_1..5.bin and in test_batch.bin.
inline constexpr std::size_t release_records = 10000;

inline constexpr char const* download_url =
    "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";

//! Checks the records of one batch held in memory (`name` is used in error messages) and
//! returns their number: a whole number of records, labels in [0, classes).
inline std::size_t check_batch(std::uint8_t const* data, std::size_t size,
                               std::string const& name, int classes = 10) {
    auto const record = static_cast<std::size_t>(record_bytes);
    if (size == 0)
        throw error(name, "CIFAR-10 records of 3073 bytes (1 label, 3072 pixels)",
                    "an empty file");
    if (size % record != 0) {
        auto whole = size / record;
        throw error(name + " at byte " + std::to_string(whole * record),
                    "a whole record of 3073 bytes (1 label byte, 3072 pixel bytes)",
                    "only " + std::to_string(size - whole * record)
                        + " bytes (the file is truncated or not a CIFAR-10 binary batch)");
    }
    auto const n = size / record;
    for (std::size_t i = 0; i < n; ++i) {
        auto label = data[i * record];
        if (label >= classes)
            throw error(name + " at byte " + std::to_string(i * record),
                        "a label in [0, " + std::to_string(classes) + ")",
                        std::to_string(int{label}) + " (record " + std::to_string(i) + ")");
    }
    return n;
}

} // namespace pipeline::cifar
