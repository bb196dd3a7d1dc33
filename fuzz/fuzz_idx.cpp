// Fuzz target: the IDX format (plain or gzip), read as images and as labels. The reader
// takes a path, so each input is written to one temporary file first. Parse or
// pipeline::error only.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include <unistd.h>

#include <pipeline/data/idx_format.hpp>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    static std::string const path =
        "/tmp/pipeline-fuzz-idx-" + std::to_string(::getpid()) + ".idx";
    if (std::FILE* f = std::fopen(path.c_str(), "wb")) {
        std::fwrite(data, 1, size, f);
        std::fclose(f);
    }
    try {
        auto p = pipeline::idx::read_image_bytes(path);
        if (p.bytes.size() != std::size_t{p.dims[0]} * p.dims[1] * p.dims[2])
            __builtin_trap();
    } catch (pipeline::error const&) {
    }
    try {
        auto p = pipeline::idx::read_label_bytes(path, 10);
        if (p.bytes.size() != p.dims[0])
            __builtin_trap();
    } catch (pipeline::error const&) {
    }
    return 0;
}
