// The one exception type of the library: what was expected, what was found, and where
// (a path, a byte offset, a tensor name). Torch-free.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace pipeline {

//! Thrown for bad input: missing or corrupt files, wrong shapes, non-finite losses,
//! out-of-range options. `what()` reads as one sentence:
//! "<where>: expected <expected>, found <found>".
class error : public std::runtime_error {
public:
    error(std::string where, std::string expected, std::string found)
        : std::runtime_error(where + ": expected " + expected + ", found " + found)
        , where_(std::move(where))
        , expected_(std::move(expected))
        , found_(std::move(found)) {}

    [[nodiscard]] std::string const& where() const noexcept { return where_; }
    [[nodiscard]] std::string const& expected() const noexcept { return expected_; }
    [[nodiscard]] std::string const& found() const noexcept { return found_; }

private:
    std::string where_;
    std::string expected_;
    std::string found_;
};

} // namespace pipeline
