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

namespace pipeline {

namespace safetensors {

//! Python's safetensors refuses headers above 100 MB; so do we (a lying length would
//! otherwise make us allocate whatever it says).
inline constexpr std::uint64_t max_header_bytes = 100'000'000;

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
    return out;
}

} // namespace safetensors
} // namespace pipeline
