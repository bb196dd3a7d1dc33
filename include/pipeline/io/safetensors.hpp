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

namespace pipeline {

//! One tensor of a weights file, in file order.
struct named_tensor {
    std::string name;
    torch::Tensor tensor;
};

//! The contents of a safetensors file: tensors in the order of their data, and the
//! free-form `__metadata__` string map (empty when the file has none).
struct safetensors_file {
    std::vector<named_tensor> tensors;
    std::map<std::string, std::string> metadata;

    //! The tensor called `name`, or nullptr.
    [[nodiscard]] torch::Tensor const* find(std::string_view name) const {
        for (auto const& t : tensors)
            if (t.name == name)
                return &t.tensor;
        return nullptr;
    }
};

namespace safetensors {

//! Python's safetensors refuses headers above 100 MB; so do we (a lying length would
//! otherwise make us allocate whatever it says).
inline constexpr std::uint64_t max_header_bytes = 100'000'000;

//! The dtypes this library reads and writes, with safetensors' names.
struct dtype_info {
    std::string_view name;
    torch::ScalarType type;
    std::size_t bytes;
};
inline constexpr std::array<dtype_info, 10> dtypes{{
    {"F64", torch::kFloat64, 8},
    {"F32", torch::kFloat32, 4},
    {"F16", torch::kFloat16, 2},
    {"BF16", torch::kBFloat16, 2},
    {"I64", torch::kInt64, 8},
    {"I32", torch::kInt32, 4},
    {"I16", torch::kInt16, 2},
    {"I8", torch::kInt8, 1},
    {"U8", torch::kUInt8, 1},
    {"BOOL", torch::kBool, 1},
}};

inline std::optional<dtype_info> dtype_by_name(std::string_view name) {
    for (auto const& d : dtypes)
        if (d.name == name)
            return d;
    return std::nullopt;
}

inline std::optional<dtype_info> dtype_by_type(torch::ScalarType type) {
    for (auto const& d : dtypes)
        if (d.type == type)
            return d;
    return std::nullopt;
}

inline std::string supported_dtypes() {
    std::string out;
    for (auto const& d : dtypes)
        out += (out.empty() ? "" : ", ") + std::string(d.name);
    return out;
}

//! One header entry, checked: its byte range lies inside the data and matches its shape.
struct entry {
    std::string name;
    dtype_info dtype;
    std::vector<std::int64_t> shape;
    std::uint64_t begin = 0;
    std::uint64_t end = 0;
};

struct header {
    std::vector<entry> entries; // sorted by data offset
    std::map<std::string, std::string> metadata;
    std::uint64_t data_start = 0; // 8 + header length
};

namespace detail {
inline std::uint64_t read_le64(unsigned char const* p) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i)
        v = (v << 8) | p[i];
    return v;
}

inline std::string at_tensor(std::string const& where, std::string const& name) {
    return where + ": tensor '" + name + "'";
}
} // namespace detail

//! Parses and checks the header of the safetensors bytes `bytes` (the whole file).
//! `where` names the file in errors. Torch-free work only: no tensor is made.
inline header parse_header(std::span<unsigned char const> bytes, std::string const& where) {
    using nlohmann::json;
    if (bytes.size() < 8)
        throw error(where, "a safetensors file (8-byte header length, JSON header, data)",
                    std::to_string(bytes.size()) + " bytes in all");
    std::uint64_t const n = detail::read_le64(bytes.data());
    std::uint64_t const available = bytes.size() - 8;
    if (n > max_header_bytes || n > available)
        throw error(where + " (byte 0)",
                    "a header length of at most " + std::to_string(available)
                        + " bytes (the rest of the file)",
                    std::to_string(n) + " (truncated or not a safetensors file)");
    if (n < 2 || bytes[8] != '{')
        throw error(where + " (byte 8)", "a JSON object header starting with '{'",
                    n < 2 ? "a header of " + std::to_string(n) + " bytes"
                          : "a header that does not start with '{'");
    std::string_view const text(reinterpret_cast<char const*>(bytes.data() + 8), n);
    json h;
    try {
        h = json::parse(text);
    } catch (json::exception const& e) {
        throw error(where + " (header, bytes 8.." + std::to_string(8 + n) + ")",
                    "a valid JSON header", std::string("invalid JSON (") + e.what() + ")");
    }
    if (!h.is_object())
        throw error(where + " (header)", "a JSON object", std::string(h.type_name()));

    header out;
    out.data_start = 8 + n;
    std::uint64_t const data_size = available - n;
    for (auto const& [key, value] : h.items()) {
        if (key == "__metadata__") {
            if (!value.is_object())
                throw error(where + " (__metadata__)", "an object of strings",
                            std::string(value.type_name()));
            for (auto const& [mk, mv] : value.items()) {
                if (!mv.is_string())
                    throw error(where + " (__metadata__." + mk + ")", "a string",
                                std::string(mv.type_name()));
                out.metadata[mk] = mv.get<std::string>();
            }
            continue;
        }
        auto const at = detail::at_tensor(where, key);
        if (!value.is_object())
            throw error(at, "an object with dtype, shape and data_offsets",
                        std::string(value.type_name()));
        auto const dt = value.find("dtype");
        auto const sh = value.find("shape");
        auto const off = value.find("data_offsets");
        if (dt == value.end() || sh == value.end() || off == value.end())
            throw error(at, "the fields dtype, shape and data_offsets",
                        "an entry without "
                            + std::string(dt == value.end()   ? "dtype"
                                          : sh == value.end() ? "shape"
                                                              : "data_offsets"));
        if (!dt->is_string())
            throw error(at, "a dtype string", std::string(dt->type_name()));
        auto const dtype = dtype_by_name(dt->get<std::string>());
        if (!dtype)
            throw error(at, "a dtype among " + supported_dtypes(),
                        "dtype '" + dt->get<std::string>() + "'");
        entry e{key, *dtype, {}, 0, 0};
        if (!sh->is_array())
            throw error(at, "a shape array", std::string(sh->type_name()));
        std::uint64_t numel = 1;
        bool overflow = false;
        for (auto const& d : *sh) {
            if (!d.is_number_unsigned())
                throw error(at, "non-negative integer dimensions", d.dump());
            auto const dim = d.get<std::uint64_t>();
            if (dim > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
                overflow = true;
            else if (dim != 0 && numel > std::numeric_limits<std::uint64_t>::max() / dim)
                overflow = true;
            else
                numel *= dim;
            e.shape.push_back(static_cast<std::int64_t>(dim));
        }
        if (!off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned()
            || !(*off)[1].is_number_unsigned())
            throw error(at, "data_offsets [begin, end] of non-negative integers",
                        off->dump());
        e.begin = (*off)[0].get<std::uint64_t>();
        e.end = (*off)[1].get<std::uint64_t>();
        if (e.begin > e.end || e.end > data_size)
            throw error(
                at, "data_offsets within the " + std::to_string(data_size) + " data bytes",
                "[" + std::to_string(e.begin) + ", " + std::to_string(e.end) + "]");
        if (overflow || numel > std::numeric_limits<std::uint64_t>::max() / dtype->bytes
            || numel * dtype->bytes != e.end - e.begin)
            throw error(at,
                        std::to_string(e.end - e.begin) + " bytes to match its shape "
                            + sh->dump() + " of " + std::string(dtype->name),
                        overflow ? "a shape too large to address"
                                 : std::to_string(numel) + " elements ("
                                       + std::to_string(numel * dtype->bytes) + " bytes)");
        out.entries.push_back(std::move(e));
    }
    std::sort(out.entries.begin(), out.entries.end(), [](entry const& a, entry const& b) {
        return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    // The data must be exactly the concatenation of the tensors: no overlaps (two names
    // sharing bytes), no holes (bytes nobody owns), as Python's reader requires.
    std::uint64_t expected = 0;
    for (auto const& e : out.entries) {
        if (e.begin != expected)
            throw error(detail::at_tensor(where, e.name),
                        "data starting at byte " + std::to_string(expected)
                            + " (tensors tile the data without gaps or overlaps)",
                        "data_offsets [" + std::to_string(e.begin) + ", "
                            + std::to_string(e.end) + "]");
        expected = e.end;
    }
    if (expected != data_size)
        throw error(where, std::to_string(data_size) + " data bytes owned by the tensors",
                    std::to_string(expected) + " (trailing bytes nobody owns)");
    return out;
}

//! Parses the whole file image `bytes` into tensors (CPU, contiguous, in file order).
inline safetensors_file parse(std::span<unsigned char const> bytes,
                              std::string const& where) {
    static_assert(std::endian::native == std::endian::little,
                  "pipeline: safetensors data is little-endian; this host is not");
    auto h = parse_header(bytes, where);
    safetensors_file out;
    out.metadata = std::move(h.metadata);
    out.tensors.reserve(h.entries.size());
    for (auto& e : h.entries) {
        auto t = torch::empty(e.shape, torch::TensorOptions().dtype(e.dtype.type));
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
inline void write_safetensors(std::filesystem::path const& path,
                              std::vector<named_tensor> const& tensors,
                              std::map<std::string, std::string> const& metadata = {}) {
    using nlohmann::json;
    std::vector<torch::Tensor> data;
    data.reserve(tensors.size());
    json h = json::object();
    if (!metadata.empty())
        h["__metadata__"] = metadata;
    std::uint64_t offset = 0;
    for (auto const& [name, tensor] : tensors) {
        if (name == "__metadata__" || h.contains(name))
            throw error(path.string() + ": tensor '" + name + "'", "a unique tensor name",
                        name == "__metadata__" ? "the reserved name" : "a duplicate");
        auto const dtype = safetensors::dtype_by_type(tensor.scalar_type());
        if (!dtype)
            throw error(path.string() + ": tensor '" + name + "'",
                        "a dtype among " + safetensors::supported_dtypes(),
                        std::string(c10::toString(tensor.scalar_type())));
        auto t = tensor.detach().to(torch::kCPU).contiguous();
        auto const bytes = static_cast<std::uint64_t>(t.numel()) * dtype->bytes;
        h[name] = {{"dtype", dtype->name},
                   {"shape", t.sizes().vec()},
                   {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
        data.push_back(std::move(t));
    }
    std::string text = h.dump();
    // Pad the header with spaces so the data starts 8-byte aligned, as Python's writer
    // does.
    text.append((8 - text.size() % 8) % 8, ' ');

    auto tmp = path;
    tmp += ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out)
            throw error(tmp.string(), "a writable file", "it could not be created");
        unsigned char len[8];
        for (int i = 0; i < 8; ++i)
            len[i] = static_cast<unsigned char>(static_cast<std::uint64_t>(text.size())
                                                >> (8 * i));
        out.write(reinterpret_cast<char const*>(len), 8);
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
        for (auto const& t : data)
            out.write(static_cast<char const*>(t.data_ptr()),
                      static_cast<std::streamsize>(t.numel() * t.element_size()));
        out.flush();
        if (!out)
            throw error(tmp.string(), "a complete write", "a write error (disk full?)");
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::filesystem::remove(tmp, ec);
        throw error(path.string(), "a file renamed into place", ec.message());
    }
}

} // namespace pipeline
