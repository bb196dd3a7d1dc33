// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON
// header naming each tensor's dtype, shape and byte range, then the raw little-endian
// data. `read_safetensors` checks every claim of the header against the file before
// touching the data; `write_safetensors` writes files that Python's
// `safetensors.torch.load_file` reads, atomically (a temporary file, then a rename).
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <pipeline/error.hpp>
#include <pipeline/host_read.hpp>
#include <pipeline/io/atomic_file.hpp>
#include <pipeline/io/safetensors_header.hpp>

namespace pipeline {

//! One tensor of a weights file, in file order.
struct named_tensor {
    std::string name;
    torch::Tensor tensor;
};

//! The contents of a safetensors file: tensors in the order of their data, and the
//! free-form `__metadata__` string map (empty when the file has none; without the
//! checksums, which the reader verifies and takes out).
struct safetensors_file {
    std::vector<named_tensor> tensors;
    std::map<std::string, std::string> metadata;
    //! Whether the file carried this library's checksums, every one of which matched (a
    //! file of another writer has none: it is read as it is).
    bool verified = false;

    //! The tensor called `name`, or nullptr.
    [[nodiscard]] torch::Tensor const* find(std::string_view name) const {
        for (auto const& t : tensors)
            if (t.name == name)
                return &t.tensor;
        return nullptr;
    }
};

namespace safetensors {

//! The LibTorch dtype of each entry of `dtypes`, in the same order.
inline constexpr std::array<torch::ScalarType, dtypes.size()> torch_dtypes{
    torch::kFloat64, torch::kFloat32, torch::kFloat16, torch::kBFloat16, torch::kInt64,
    torch::kInt32,   torch::kInt16,   torch::kInt8,    torch::kUInt8,    torch::kBool};

inline torch::ScalarType torch_dtype(dtype_info const& d) {
    for (std::size_t i = 0; i < dtypes.size(); ++i)
        if (dtypes[i].name == d.name)
            return torch_dtypes[i];
    return torch::kFloat32; // unreachable: parse_header accepts only names of `dtypes`
}

inline std::optional<dtype_info> dtype_by_type(torch::ScalarType type) {
    for (std::size_t i = 0; i < dtypes.size(); ++i)
        if (torch_dtypes[i] == type)
            return dtypes[i];
    return std::nullopt;
}

//! Parses the whole file image `bytes` into tensors (CPU, contiguous, in file order).
inline safetensors_file parse(std::span<unsigned char const> bytes,
                              std::string const& where) {
    static_assert(std::endian::native == std::endian::little,
                  "pipeline: safetensors data is little-endian; this host is not");
    auto h = parse_header(bytes, where);
    safetensors_file out;
    out.metadata = std::move(h.metadata);
    // The checksums are the file's, not the writer's metadata: parse_header verified them.
    out.verified = out.metadata.erase(checksum_key) == 1;
    out.tensors.reserve(h.entries.size());
    for (auto& e : h.entries) {
        auto t = torch::empty(e.shape, torch::TensorOptions().dtype(torch_dtype(e.dtype)));
        if (e.end > e.begin)
            std::memcpy(t.data_ptr(), bytes.data() + h.data_start + e.begin,
                        e.end - e.begin);
        out.tensors.push_back({std::move(e.name), std::move(t)});
    }
    return out;
}

//! Reads a whole file into memory.
inline std::vector<unsigned char> read_bytes(std::filesystem::path const& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        throw error(path.string(), "a weights file", "no such file");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw error(path.string(), "a readable file", "it could not be opened");
    auto const size = std::filesystem::file_size(path, ec);
    if (ec)
        throw error(path.string(), "a file of known size", ec.message());
    std::vector<unsigned char> bytes(size);
    if (size > 0
        && !in.read(reinterpret_cast<char*>(bytes.data()),
                    static_cast<std::streamsize>(size)))
        throw error(path.string(), std::to_string(size) + " readable bytes",
                    "a read error after " + std::to_string(in.gcount()));
    return bytes;
}

} // namespace safetensors

//! Reads a safetensors file: every tensor (CPU, in its stored dtype, in file order) and
//! the metadata. Any inconsistency (truncation, offsets outside the data, overlapping or
//! missing bytes, unknown dtypes, invalid JSON) is one pipeline::error naming the file,
//! the tensor and what was wrong.
//!
//!     auto f = pipeline::read_safetensors("model.safetensors");
//!     for (auto const& [name, t] : f.tensors) ...
inline safetensors_file read_safetensors(std::filesystem::path const& path) {
    auto const bytes = safetensors::read_bytes(path);
    return safetensors::parse(bytes, path.string());
}

//! Writes `tensors` (any device, any layout; moved to the CPU and made contiguous) and
//! `metadata` as a safetensors file readable by `safetensors.torch.load_file`. The file
//! appears atomically: it is written next to `path` under a temporary name, then renamed.
//! Its metadata also holds a CRC-32C of every tensor and of the header
//! (`safetensors::checksum_key`), which `read_safetensors` verifies.
inline void write_safetensors(std::filesystem::path const& path,
                              std::vector<named_tensor> const& tensors,
                              std::map<std::string, std::string> const& metadata = {}) {
    using nlohmann::json;
    if (metadata.contains(safetensors::checksum_key))
        throw error(path.string() + " (__metadata__)",
                    std::string("metadata without '") + safetensors::checksum_key
                        + "' (the writer's own checksums)",
                    "it among the metadata to write");
    std::vector<torch::Tensor> data;
    data.reserve(tensors.size());
    std::vector<safetensors::entry> entries;
    entries.reserve(tensors.size());
    json h = json::object();
    json sums = json::object();
    std::uint64_t offset = 0;
    for (auto const& [name, tensor] : tensors) {
        if (name == "__metadata__" || name == "__header__" || h.contains(name))
            throw error(path.string() + ": tensor '" + name + "'", "a unique tensor name",
                        name == "__metadata__" || name == "__header__" ? "a reserved name"
                                                                       : "a duplicate");
        auto const dtype = safetensors::dtype_by_type(tensor.scalar_type());
        if (!dtype)
            throw error(path.string() + ": tensor '" + name + "'",
                        "a dtype among " + safetensors::supported_dtypes(),
                        std::string(c10::toString(tensor.scalar_type())));
        auto t = to_host(tensor);
        auto const bytes = static_cast<std::uint64_t>(t.numel()) * dtype->bytes;
        h[name] = {{"dtype", dtype->name},
                   {"shape", t.sizes().vec()},
                   {"data_offsets", {offset, offset + bytes}}};
        entries.push_back({name, *dtype, t.sizes().vec(), offset, offset + bytes});
        sums[name] =
            crc32c_hex(crc32c(std::span(static_cast<unsigned char const*>(t.data_ptr()),
                                        static_cast<std::size_t>(bytes))));
        offset += bytes;
        data.push_back(std::move(t));
    }
    // Every file carries a CRC-32C of each tensor and of the rest of its header, which the
    // reader verifies (safetensors::verify_checksums).
    auto with_sums = metadata;
    sums["__header__"] = crc32c_hex(safetensors::header_crc32c(metadata, entries));
    with_sums[safetensors::checksum_key] = sums.dump();
    h["__metadata__"] = with_sums;
    std::string text = h.dump();
    // Pad the header with spaces so the data starts 8-byte aligned, as Python's writer
    // does.
    text.append((8 - text.size() % 8) % 8, ' ');

    write_file_atomically(path, [&](std::ostream& out) {
        unsigned char len[8];
        for (int i = 0; i < 8; ++i)
            len[i] = static_cast<unsigned char>(static_cast<std::uint64_t>(text.size())
                                                >> (8 * i));
        out.write(reinterpret_cast<char const*>(len), 8);
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
        for (auto const& t : data)
            out.write(static_cast<char const*>(t.data_ptr()),
                      static_cast<std::streamsize>(t.numel() * t.element_size()));
    });
}

} // namespace pipeline
