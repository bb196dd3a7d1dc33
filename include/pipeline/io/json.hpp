// JSON read from files, with its nesting bounded before it is built. nlohmann::json's
// parser is iterative, but what it builds is a tree that dump(), comparisons and copies
// walk recursively: a safetensors header holding an array nested 100,000 deep (200 KB)
// overflowed the stack in the error path's dump(). Every JSON this library reads is a few
// levels deep (a safetensors header: 3), so the reader states its bound and a deeper
// document is refused while it is being read, before the deep part exists.
// Torch-free.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <pipeline/error.hpp>

namespace pipeline {

//! Parses `text` as JSON nested at most `max_depth` deep (the top-level value is depth
//! 1: `{"a": [1]}` is 2 deep). `where` and `what` ("a safetensors header") name the
//! document in errors: "<where>: expected <what> nested at most 8 deep, found an array or
//! object opened 9 deep", or "expected <what> in valid JSON, found invalid JSON (...)".
inline nlohmann::json parse_json(std::string_view text, std::string const& where,
                                 std::size_t max_depth,
                                 std::string const& what = "a JSON document") {
    using nlohmann::json;
    // nlohmann calls back with the depth of the container being opened, 0 for the top
    // level; an exception thrown here ends the parse before anything deeper is built.
    auto const bounded = [&](int depth, json::parse_event_t event, json&) {
        if ((event == json::parse_event_t::object_start
             || event == json::parse_event_t::array_start)
            && static_cast<std::size_t>(depth) >= max_depth)
            throw error(where,
                        what + " nested at most " + std::to_string(max_depth) + " deep",
                        "an array or object opened " + std::to_string(depth + 1) + " deep");
        return true;
    };
    try {
        return json::parse(text, bounded);
    } catch (json::exception const& e) {
        throw error(where, what + " in valid JSON",
                    std::string("invalid JSON (") + e.what() + ")");
    }
}

} // namespace pipeline
