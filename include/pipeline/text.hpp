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

} // namespace pipeline
