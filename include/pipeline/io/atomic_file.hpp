// Files that appear whole or not at all: the bytes go to `<path>.tmp` beside the target,
// which is then renamed into place, so a reader (or a run that died half-way) sees the old
// file or the new one, never half of one. On any failure the temporary file is removed,
// so a full disk is left no fuller. Torch-free.
#pragma once

#include <cerrno>
#include <concepts>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <ostream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

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

//! A name for new files that no earlier file has: `stem` + each of `extensions` when none
//! of them exists, else `stem-2`, `stem-3`, ... The first extension's file is created
//! empty, exclusively (O_EXCL), before the name is returned, so two processes never get
//! the same one; write the files over it with write_file_atomically. A summary of a second
//! sweep of the same experiment then lands beside the first instead of replacing it.
inline std::filesystem::path
claim_new_stem(std::filesystem::path const& stem,
               std::initializer_list<std::string_view> extensions) {
    for (int k = 1;; ++k) {
        auto const candidate =
            k == 1 ? stem : std::filesystem::path(stem.string() + "-" + std::to_string(k));
        bool taken = false;
        for (auto const ext : extensions)
            taken = taken || std::filesystem::exists(candidate.string() + std::string(ext));
        if (taken)
            continue;
        auto const first = candidate.string() + std::string(*extensions.begin());
        int const fd = ::open(first.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0) {
            ::close(fd);
            return candidate;
        }
        if (errno != EEXIST)
            throw error(first, "a new file that can be created", std::strerror(errno));
    }
}

} // namespace pipeline
