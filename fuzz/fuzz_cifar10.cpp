// Fuzz target: the CIFAR-10 binary batch format. Any input must either check out or throw
// pipeline::error; anything else (a crash, a sanitizer report, another exception) is a bug.
#include <cstddef>
#include <cstdint>

#include <pipeline/data/cifar10_format.hpp>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    try {
        auto n = pipeline::cifar::check_batch(data, size, "fuzz input");
        if (n == 0 || n * pipeline::cifar::record_bytes != size)
            __builtin_trap();
    } catch (pipeline::error const&) {
    }
    return 0;
}
