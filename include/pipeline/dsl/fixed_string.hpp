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

//! Shortest decimal form that reads back to the same double: plain notation while it
//! stays short (`0.1`, `0.0005`, `3`), otherwise scientific with a bare exponent (`1e-8`).
inline std::string format_number(double value) {
    std::array<char, 64> buffer{};
    auto* const first = buffer.data();
    auto* const last = first + buffer.size();
    if (auto [end, ec] = std::to_chars(first, last, value, std::chars_format::fixed);
        ec == std::errc{} && end - first <= 8)
        return {first, end};
    auto [end, ec] = std::to_chars(first, last, value, std::chars_format::scientific);
    if (ec != std::errc{})
        return "?";
    std::string text(first, end);
    // "1e-08" -> "1e-8", "1e+20" -> "1e20"
    auto e = text.find('e');
    std::string mantissa = text.substr(0, e);
    std::string exponent = text.substr(e + 1);
    bool negative = exponent.front() == '-';
    exponent.erase(0, exponent.find_first_not_of("+-"));
    exponent.erase(0, std::min(exponent.find_first_not_of('0'), exponent.size() - 1));
    return mantissa + "e" + (negative ? "-" : "") + exponent;
}

inline std::string format_number(long long value) {
    return std::to_string(value);
}
inline std::string format_number(int value) {
    return std::to_string(value);
}
inline std::string format_number(bool value) {
    return value ? "true" : "false";
}

//! Prints designated initialisers for the fields that differ from their defaults, so
//! the printed form of `Optimizer<SGD, {.lr = 0.1}>` is what the user wrote, and
//! `Optimizer<SGD>` when every field keeps its default.
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
    [[nodiscard]] std::string braced() const {
        return text_.empty() ? "" : "{" + text_ + "}";
    }

private:
    std::string text_;
};

} // namespace detail
} // namespace pipeline
