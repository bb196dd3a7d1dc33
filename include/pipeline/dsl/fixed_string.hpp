// Compile-time strings for names carried in types, and the number formatting used when
// a pipeline prints itself. Torch-free.
#pragma once

#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>

namespace pipeline {

//! A string usable as a template argument: `named<"ResNet18">`.
template <std::size_t N>
struct fixed_string {
    char chars[N]{};

    constexpr fixed_string(char const (&s)[N]) { std::copy_n(s, N, chars); }
    [[nodiscard]] constexpr std::string_view view() const { return {chars, N - 1}; }
};

//! Base for vocabulary types whose printed name is a fixed word.
template <fixed_string Name>
struct named {
    static constexpr std::string_view word = Name.view();
    static std::string name() { return std::string(word); }
};

namespace detail {

//! Shortest decimal form that reads back to the same double (`0.1`, `5e-4`, `3`).
inline std::string format_number(double value) {
    std::array<char, 64> buffer{};
    auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
    if (ec != std::errc{})
        return "?";
    return {buffer.data(), end};
}

inline std::string format_number(long long value) { return std::to_string(value); }
inline std::string format_number(int value) { return std::to_string(value); }
inline std::string format_number(bool value) { return value ? "true" : "false"; }

//! Prints designated initialisers for the fields that differ from their defaults, so
//! the printed form of `SGD<{.lr = 0.1}>` is what the user wrote, and `SGD<>` when every
//! field keeps its default.
class field_printer {
public:
    template <class T>
    field_printer& operator()(std::string_view field, T value, T default_value) {
        if (value == default_value)
            return *this;
        if (!text_.empty())
            text_ += ", ";
        text_ += ".";
        text_ += field;
        text_ += " = ";
        text_ += format_number(value);
        return *this;
    }

    //! `{.lr = 0.1, .momentum = 0.8}`, or the empty string when all fields are defaults.
    [[nodiscard]] std::string braced() const { return text_.empty() ? "" : "{" + text_ + "}"; }

private:
    std::string text_;
};

} // namespace detail
} // namespace pipeline
