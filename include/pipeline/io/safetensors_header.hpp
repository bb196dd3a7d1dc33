// The torch-free half of the safetensors reader: parses and checks the header (an 8-byte
// little-endian length, then JSON naming each tensor's dtype, shape and byte range)
// against the file's size, without making a tensor. io/safetensors.hpp builds the
// tensors; the fuzz target (fuzz/fuzz_safetensors.cpp) exercises this parser on its own.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <pipeline/error.hpp>
#include <pipeline/io/crc32c.hpp>
#include <pipeline/io/json.hpp>

namespace pipeline {

namespace safetensors {

//! Python's safetensors refuses headers above 100 MB; so do we (a lying length would
//! otherwise make us allocate whatever it says).
inline constexpr std::uint64_t max_header_bytes = 100'000'000;
//! How deep a header may nest: a tensor's entry is 3 deep, the rest is headroom.
inline constexpr std::size_t max_header_depth = 8;

//! The dtypes this library reads and writes, with safetensors' names.
struct dtype_info {
    std::string_view name;
    std::size_t bytes;
};
inline constexpr std::array<dtype_info, 10> dtypes{{
    {"F64", 8},
    {"F32", 4},
    {"F16", 2},
    {"BF16", 2},
    {"I64", 8},
    {"I32", 4},
    {"I16", 2},
    {"I8", 1},
    {"U8", 1},
    {"BOOL", 1},
}};

inline std::optional<dtype_info> dtype_by_name(std::string_view name) {
    for (auto const& d : dtypes)
        if (d.name == name)
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

//! The metadata entry in which this library's writer stores CRC-32C checksums: a JSON
//! object {"<tensor>": "<8 hex digits>", ..., "__header__": "<8 hex digits>"}, one for
//! each tensor's bytes and one for the rest of the header (the other metadata, each
//! tensor's name, dtype, shape and offsets). Readers that do not know it (Python's
//! safetensors) see one more string of metadata.
inline constexpr char const* checksum_key = "pipeline.crc32c";

//! The CRC-32C of what `h` says besides the checksums: each metadata key and value in key
//! order, then each tensor's name, dtype, shape and offsets in data order, every field
//! followed by a zero byte.
inline std::uint32_t header_crc32c(std::map<std::string, std::string> const& metadata,
                                   std::vector<entry> const& entries) {
    std::uint32_t crc = 0;
    auto const field = [&crc](std::string_view text) {
        crc = crc32c(text, crc);
        crc = crc32c(std::string_view("\0", 1), crc);
    };
    for (auto const& [key, value] : metadata) {
        if (key == checksum_key)
            continue;
        field(key);
        field(value);
    }
    for (auto const& e : entries) {
        field(e.name);
        field(e.dtype.name);
        std::string shape;
        for (auto d : e.shape)
            shape += std::to_string(d) + ",";
        field(shape);
        field(std::to_string(e.begin));
        field(std::to_string(e.end));
    }
    return crc;
}

//! When `h`'s metadata holds checksums (a file this library wrote), the bytes of every
//! tensor and the rest of the header must be those that were written: a flipped bit in a
//! weight, a momentum buffer or an epoch number is refused with the tensor's name, instead
//! of a resumed run continuing from something else. A file without them (another writer's)
//! is read as it is.
inline void verify_checksums(header const& h, std::span<unsigned char const> bytes,
                             std::string const& where) {
    auto const found = h.metadata.find(checksum_key);
    if (found == h.metadata.end())
        return;
    auto const at = where + " (__metadata__." + checksum_key + ")";
    auto const sums = parse_json(found->second, at, 2, "checksums");
    if (!sums.is_object())
        throw error(at, "an object of CRC-32C checksums", std::string(sums.type_name()));
    auto const expected_of = [&](std::string const& name,
                                 std::string const& whose) -> std::uint32_t {
        auto const it = sums.find(name);
        if (it == sums.end())
            throw error(at, "a CRC-32C for " + whose + " (the writer stores one for each)",
                        "none");
        auto const text = it->is_string() ? it->get<std::string>() : std::string();
        if (text.size() != 8
            || text.find_first_not_of("0123456789abcdef") != std::string::npos)
            throw error(at, "8 hex digits for " + whose, it->dump());
        return static_cast<std::uint32_t>(std::stoul(text, nullptr, 16));
    };
    auto const damaged = [](std::uint32_t expected, std::uint32_t actual) {
        return std::pair{"the bytes it was written with (CRC-32C " + crc32c_hex(expected)
                             + ")",
                         "other bytes (CRC-32C " + crc32c_hex(actual)
                             + "): the file changed after it was written (a damaged disk, "
                               "copy or transfer); use another copy or start again"};
    };
    for (auto const& e : h.entries) {
        auto const expected = expected_of(e.name, "tensor '" + e.name + "'");
        auto const actual =
            crc32c(bytes.subspan(static_cast<std::size_t>(h.data_start + e.begin),
                                 static_cast<std::size_t>(e.end - e.begin)));
        if (actual != expected) {
            auto const [what, instead] = damaged(expected, actual);
            throw error(detail::at_tensor(where, e.name), what, instead);
        }
    }
    auto const expected = expected_of("__header__", "the header");
    if (auto const actual = header_crc32c(h.metadata, h.entries); actual != expected) {
        auto const [what, instead] = damaged(expected, actual);
        throw error(where + " (header)", what, instead);
    }
    if (sums.size() != h.entries.size() + 1)
        for (auto const& item : sums.items())
            if (auto const& name = item.key();
                name != "__header__"
                && std::none_of(h.entries.begin(), h.entries.end(),
                                [&](entry const& e) { return e.name == name; }))
                throw error(at, "a CRC-32C only for tensors the file holds",
                            "one for tensor '" + name + "', which it does not hold");
}

//! Parses and checks the header of the safetensors bytes `bytes` (the whole file).
//! `where` names the file in errors. After it returns, every entry's byte range lies
//! inside `bytes` and matches its dtype and shape.
inline header parse_header(std::span<unsigned char const> bytes, std::string const& where) {
    using nlohmann::json;
    if (bytes.size() < 8)
        throw error(where, "a safetensors file (8-byte header length, JSON header, data)",
                    std::to_string(bytes.size()) + " bytes in all");
    std::uint64_t const n = detail::read_le64(bytes.data());
    std::uint64_t const available = bytes.size() - 8;
    if (n > max_header_bytes)
        throw error(where + " (byte 0)",
                    "a header length of at most " + std::to_string(max_header_bytes)
                        + " bytes (safetensors' limit)",
                    std::to_string(n) + " (not a safetensors file, or a hostile one)");
    if (n > available)
        throw error(where + " (byte 0)",
                    "a header length of at most " + std::to_string(available)
                        + " bytes (the rest of the file)",
                    std::to_string(n) + " (truncated or not a safetensors file)");
    if (n < 2 || bytes[8] != '{')
        throw error(where + " (byte 8)", "a JSON object header starting with '{'",
                    n < 2 ? "a header of " + std::to_string(n) + " bytes"
                          : "a header that does not start with '{'");
    std::string_view const text(reinterpret_cast<char const*>(bytes.data() + 8), n);
    // Tensor entries are 3 deep ({"name": {"shape": [...]}}): a deeper header is refused
    // while it is read, before anything recursive (dump() in a message) can walk it.
    json const h =
        parse_json(text, where + " (header, bytes 8.." + std::to_string(8 + n) + ")",
                   max_header_depth, "a safetensors header");
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
        // The product of the non-zero dimensions bounds the strides of the tensor: it must
        // fit an int64 even when a zero dimension makes the tensor empty.
        std::uint64_t extent = 1;
        bool overflow = false;
        constexpr auto int64_max =
            static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
        for (auto const& d : *sh) {
            if (!d.is_number_unsigned())
                throw error(at, "non-negative integer dimensions", d.dump());
            auto const dim = d.get<std::uint64_t>();
            if (dim > int64_max || (dim != 0 && extent > int64_max / dim))
                overflow = true;
            else if (dim != 0)
                extent *= dim;
            numel = dim == 0 ? 0 : numel;
            e.shape.push_back(static_cast<std::int64_t>(dim));
        }
        if (!overflow && numel != 0)
            numel = extent;
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
    verify_checksums(out, bytes, where);
    return out;
}

} // namespace safetensors
} // namespace pipeline
