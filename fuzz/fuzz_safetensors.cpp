// libFuzzer target for the safetensors parser: any input must either parse or throw one
// pipeline::error; any other exception, crash, leak or out-of-bounds access is a finding.
// It fuzzes the torch-free parser (io/safetensors_header.hpp) and then copies every
// tensor's bytes as io/safetensors.hpp does, so AddressSanitizer checks the ranges the
// parser accepted. (clang 14 cannot compile LibTorch 1.13's headers in C++20 mode.)
//
//   cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++-14
//   -DPIPELINE_BUILD_FUZZ=ON \
//         -DPIPELINE_BUILD_TESTS=OFF -DPIPELINE_BUILD_EXAMPLES=OFF
//         -DPIPELINE_BUILD_BENCH=OFF
//   ninja -C build-fuzz fuzz_safetensors
//   ./build-fuzz/fuzz/fuzz_safetensors -max_total_time=300 fuzz/corpus-safetensors
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include <pipeline/error.hpp>
#include <pipeline/io/safetensors_header.hpp>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    std::span<unsigned char const> const bytes(data, size);
    try {
        auto const h = pipeline::safetensors::parse_header(bytes, "fuzz-input");
        for (auto const& e : h.entries) {
            std::vector<unsigned char> buffer(e.end - e.begin);
            if (!buffer.empty())
                std::memcpy(buffer.data(), bytes.data() + h.data_start + e.begin,
                            buffer.size());
        }
    } catch (pipeline::error const&) {
    }
    return 0;
}
