// io/atomic_file: a file appears whole or not at all; when writing fails (a full disk, a
// writer that throws half-way) the temporary file is gone and the old file is intact.
#include <filesystem>
#include <stdexcept>
#include <string>

#include <doctest/doctest.h>
#include <unistd.h>

#include <pipeline/error.hpp>
#include <pipeline/io/atomic_file.hpp>

#include "../support.hpp"

using namespace pipeline;
using pipeline::testing::slurp;
using pipeline::testing::temp_dir;
namespace fs = std::filesystem;

TEST_CASE("io/atomic_file: a new file replaces the old one whole") {
    temp_dir dir;
    auto const file = dir.path / "metrics.csv";
    write_file_atomically(file, "old\n");
    write_file_atomically(file, "new\n");
    CHECK(slurp(file) == "new\n");
    CHECK_FALSE(fs::exists(dir.path / "metrics.csv.tmp"));
}

TEST_CASE("io/atomic_file: a full disk leaves no .tmp and the old file intact") {
    // <file>.tmp as a link to /dev/full: the write is opened on a device where every
    // write fails with ENOSPC, as on a full disk, without filling one.
    std::error_code ec;
    if (!fs::exists("/dev/full", ec)) {
        MESSAGE("SKIPPED: no /dev/full on this system");
        return;
    }
    temp_dir dir;
    auto const file = dir.path / "checkpoint.safetensors";
    auto const tmp = dir.path / "checkpoint.safetensors.tmp";
    write_file_atomically(file, "the previous epoch's checkpoint");
    fs::create_symlink("/dev/full", tmp);
    std::string const big(1 << 20, 'x'); // more than one stream buffer
    std::string msg = "(no error)";
    try {
        write_file_atomically(file, big);
    } catch (pipeline::error const& e) {
        msg = e.what();
    }
    CHECK(msg
          == tmp.string()
                 + ": expected a complete write, found a write error (disk full?)");
    CHECK_FALSE(fs::exists(fs::symlink_status(tmp)));
    CHECK(slurp(file) == "the previous epoch's checkpoint");
    CHECK(fs::exists("/dev/full")); // the link was removed, not what it pointed to
}

TEST_CASE("io/atomic_file: a writer that throws half-way leaves no .tmp behind") {
    temp_dir dir;
    auto const file = dir.path / "model.safetensors";
    write_file_atomically(file, "old weights");
    CHECK_THROWS_WITH_AS(write_file_atomically(file,
                                               [](std::ostream& out) {
                                                   out << std::string(100000, 'y');
                                                   throw std::runtime_error("tensor gone");
                                               }),
                         "tensor gone", std::runtime_error);
    CHECK_FALSE(fs::exists(dir.path / "model.safetensors.tmp"));
    CHECK(slurp(file) == "old weights");
}

TEST_CASE("io/atomic_file: a directory that does not exist names the file") {
    temp_dir dir;
    auto const file = dir.path / "no" / "such" / "dir" / "summary.json";
    auto const want =
        file.string() + ".tmp: expected a writable file, found it could not be created";
    CHECK_THROWS_WITH_AS(write_file_atomically(file, "{}"), want.c_str(), pipeline::error);
}
