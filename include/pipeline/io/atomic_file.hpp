// Files that appear whole or not at all: the bytes go to `<path>.tmp` beside the target,
// which is then renamed into place, so a reader (or a run that died half-way) sees the old
// file or the new one, never half of one. On any failure the temporary file is removed,
// so a full disk is left no fuller. Torch-free.
#pragma once

#include <concepts>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <pipeline/error.hpp>

namespace pipeline {

//! Writes `path` atomically; `write(std::ostream&)` produces the content. Throws one
//! pipeline::error naming the file when it cannot be written or renamed into place; an
//! exception from `write` itself passes through. Either way `<path>.tmp` is removed and
//! the old `path`, if any, is left as it was.
template <class Writer>
requires std::invocable<Writer, std::ostream&>
void write_file_atomically(std::filesystem::path const& path, Writer&& write) {
    auto tmp = path;
    tmp += ".tmp";
    std::error_code ec;
    auto fail = [&](std::string const& where, std::string const& expected,
                    std::string const& found) {
        std::filesystem::remove(tmp, ec);
        throw error(where, expected, found);
    };
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out)
            fail(tmp.string(), "a writable file", "it could not be created");
        try {
            std::forward<Writer>(write)(static_cast<std::ostream&>(out));
        } catch (...) {
            // The writer failed half-way (a tensor that would not convert, an allocation):
            // its partial output must not stay behind either.
            out.close();
            std::filesystem::remove(tmp, ec);
            throw;
        }
        out.close(); // flushes; a close that fails (a deferred write error) counts too
        if (!out)
            fail(tmp.string(), "a complete write", "a write error (disk full?)");
    }
    std::filesystem::rename(tmp, path, ec);
    if (ec)
        fail(path.string(), "a file renamed into place", ec.message());
}

//! Writes `content` to `path` atomically.
inline void write_file_atomically(std::filesystem::path const& path,
                                  std::string_view content) {
    write_file_atomically(path, [&](std::ostream& out) {
        out.write(content.data(), static_cast<std::streamsize>(content.size()));
    });
}

} // namespace pipeline
