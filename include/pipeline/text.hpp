// Text of ranges, for messages, tables and metadata: `join(names, ", ")`. Torch-free.
#pragma once

#include <string>
#include <string_view>

#include <range/v3/range/concepts.hpp>
#include <range/v3/range/conversion.hpp>
#include <range/v3/view/join.hpp>
#include <range/v3/view/transform.hpp>

namespace pipeline {

//! The strings of `items` with `separator` between them: `join(names, ", ")` is
//! "Stem, Layer1, Head". `items` may be any input range of things convertible to
//! std::string (strings, string_views, C strings); pipe a `views::transform` in front to
//! format numbers.
template <ranges::input_range R>
std::string join(R&& items, std::string_view separator = ", ") {
    // `items` by name (an lvalue): a container given as a temporary still lives here.
    return items | ranges::views::transform([](auto const& x) { return std::string(x); })
           | ranges::views::join(separator) | ranges::to<std::string>();
}

//! Whether `text` is well-formed UTF-8 (no stray continuation bytes, overlong forms,
//! surrogates or code points past U+10FFFF): what JSON files can hold.
inline bool valid_utf8(std::string_view text) {
    auto const* p = reinterpret_cast<unsigned char const*>(text.data());
    auto const* const end = p + text.size();
    auto const continuation = [&](std::size_t n) {
        if (static_cast<std::size_t>(end - p) <= n)
            return false;
        for (std::size_t i = 1; i <= n; ++i)
            if ((p[i] & 0xc0u) != 0x80u)
                return false;
        return true;
    };
    while (p < end) {
        unsigned const c = *p;
        if (c < 0x80u) {
            ++p;
        } else if (c >= 0xc2u && c <= 0xdfu && continuation(1)) {
            p += 2;
        } else if (c >= 0xe0u && c <= 0xefu && continuation(2)) {
            unsigned const c1 = p[1];
            if ((c == 0xe0u && c1 < 0xa0u) || (c == 0xedu && c1 >= 0xa0u))
                return false; // overlong, or a UTF-16 surrogate
            p += 3;
        } else if (c >= 0xf0u && c <= 0xf4u && continuation(3)) {
            unsigned const c1 = p[1];
            if ((c == 0xf0u && c1 < 0x90u) || (c == 0xf4u && c1 >= 0x90u))
                return false; // overlong, or past U+10FFFF
            p += 4;
        } else {
            return false;
        }
    }
    return true;
}

//! `text` with every byte outside printable ASCII as \xNN, for messages about names that
//! are not text: "caf\xe9".
inline std::string escaped_bytes(std::string_view text) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (char ch : text) {
        auto const c = static_cast<unsigned char>(ch);
        if (c >= 0x20 && c < 0x7f) {
            out += ch;
        } else {
            out += "\\x";
            out += digits[c >> 4];
            out += digits[c & 0xfu];
        }
    }
    return out;
}

} // namespace pipeline
