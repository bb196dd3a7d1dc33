// What the unit tests share: a temporary directory removed with its contents, the message
// of the pipeline::error a call throws, a file's bytes, an environment variable set for
// one scope, and the options of a quiet run. (The test files are compiled several to a
// translation unit: a helper two of them need lives here, not once in each.)
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include <pipeline/error.hpp>
#include <pipeline/record/run_options.hpp>

namespace pipeline::testing {

//! A run that prints and writes nothing: on the CPU with 2 threads, seed `seed`,
//! validation and test passes on at most `eval_limit` images.
inline run_options quiet_run_options(std::uint64_t seed, std::int64_t eval_limit = 256) {
    run_options o;
    o.device = "cpu";
    o.seed = seed;
    o.out_dir.clear();
    o.eval_limit = eval_limit;
    o.threads = 2;
    o.log = nullptr;
    return o;
}

//! A new directory under the system's temporary directory, `<prefix>-XXXXXX`, removed
//! with everything in it at the end of the scope.
struct temp_dir {
    std::filesystem::path path;

    explicit temp_dir(std::string const& prefix = "pipeline-test") {
        auto pattern =
            (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
        if (!mkdtemp(pattern.data()))
            throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
        path = pattern;
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    temp_dir(temp_dir const&) = delete;
    temp_dir& operator=(temp_dir const&) = delete;
};

//! What `f()` throws as pipeline::error, or "(no error)".
template <class F>
std::string message_of(F&& f) {
    try {
        std::forward<F>(f)();
    } catch (pipeline::error const& e) {
        return e.what();
    }
    return "(no error)";
}

//! The whole content of a file (empty if it cannot be read).
inline std::string slurp(std::filesystem::path const& p) {
    // One read of the whole file: the tests compile at -O0, where a character-by-
    // character istreambuf_iterator loop over a checkpoint took seconds.
    std::ifstream in(p, std::ios::binary | std::ios::ate);
    std::string out(in ? static_cast<std::size_t>(in.tellg()) : 0, '\0');
    in.seekg(0);
    in.read(out.data(), static_cast<std::streamsize>(out.size()));
    return out;
}

//! Sets (or with nullptr unsets) an environment variable for one scope.
class scoped_variable {
public:
    scoped_variable(char const* name, char const* value)
        : name_(name) {
        if (char const* old = std::getenv(name))
            old_ = old;
        if (value)
            setenv(name, value, 1);
        else
            unsetenv(name);
    }
    ~scoped_variable() {
        if (old_)
            setenv(name_.c_str(), old_->c_str(), 1);
        else
            unsetenv(name_.c_str());
    }
    scoped_variable(scoped_variable const&) = delete;
    scoped_variable& operator=(scoped_variable const&) = delete;

private:
    std::string name_;
    std::optional<std::string> old_;
};

#if defined(PIPELINE_SHARED_DATA) && defined(PIPELINE_BUILD_DATA)
//! The folder beside the repository that holds the shared data (../shared/data), or what
//! the environment variable PIPELINE_SHARED_DATA names instead: the bare-clone test points
//! it at an empty folder to check that every test needing the data skips visibly.
inline std::filesystem::path shared_data_dir() {
    if (char const* env = std::getenv("PIPELINE_SHARED_DATA"); env && *env)
        return env;
    return PIPELINE_SHARED_DATA;
}
//! Where data converted from the shared copies goes (PIPELINE_BUILD_DATA in the
//! environment overrides the build tree's folder, as above).
inline std::filesystem::path build_data_dir() {
    if (char const* env = std::getenv("PIPELINE_BUILD_DATA"); env && *env)
        return env;
    return PIPELINE_BUILD_DATA;
}
#endif

} // namespace pipeline::testing
