// Fuzz target: the image-folder cache format. Each input is parsed as is (most fail the
// early checks) and once more with a valid checksum written over its last 8 bytes, so the
// fuzzer also gets past the checksum; what parses must encode back to the same bytes.
// Parse or pipeline::error only.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include <pipeline/data/image_cache_format.hpp>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    namespace ifo = pipeline::image_folder;
    try {
        ifo::parse_cache(data, size, "fuzz input");
    } catch (pipeline::error const&) {
    }
    if (size >= 8) {
        std::vector<std::uint8_t> fixed(data, data + size);
        auto sum = ifo::fnv64{}.add(fixed.data(), size - 8).value();
        std::memcpy(fixed.data() + size - 8, &sum, 8);
        try {
            auto v =
                ifo::parse_cache(fixed.data(), fixed.size(), "fuzz input (checksum fixed)");
            if (ifo::encode_cache(v) != fixed)
                __builtin_trap();
        } catch (pipeline::error const&) {
        }
    }
    return 0;
}
