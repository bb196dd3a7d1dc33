// Fuzz target: the image decoding path of ImageFolder (data/image_decode.hpp): the header
// check against the pixel limit, stb_image's decoder, the resize and the centre crop, with
// a small limit so that no input can make the target allocate much. Each input is decoded
// at its own size and resized, grey and RGB. Decoded, refused with pipeline::error or
// reported undecodable only; what decodes must have the promised shape.
//
// JPEG input goes through our checks only (the Huffman-table pre-check and the header's
// claimed size), not through stb_image 2.27's JPEG decoder: its entropy decoder reads out
// of bounds on crafted tables (docs/reliability.md, reproducers in stb-2.27-known/), and
// an uninstrumented stb still dies of a wild read within a 30-second smoke run, so a
// known third-party defect would fail every run. Decoding hostile JPEGs safely needs
// another decoder (libjpeg-turbo) or stb_image >= 2.28.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

// stb_image's declarations only: its implementation is in stb_image_impl.cpp (see there).
#include <stb_image.h>

#include <pipeline/data/image_decode.hpp>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    namespace ifo = pipeline::image_folder;
    constexpr std::int64_t limit = 1 << 16; // 256x256
    auto const bytes = std::span(data, size);
    if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) {
        (void)ifo::detail::oversized_jpeg_huffman_table(bytes);
        (void)ifo::read_claimed_size(bytes);
        return 0;
    }
    for (int channels : {1, 3})
        for (int side : {0, 7}) {
            pipeline::ImageFolderParams const p{
                .classes = 2, .size = side, .channels = channels, .max_pixels = limit};
            try {
                std::string reason;
                auto img = ifo::decode_image(bytes, p, "fuzz input", reason);
                if (!img) {
                    if (reason.empty())
                        __builtin_trap();
                    continue;
                }
                auto const w = std::int64_t{img->width};
                auto const h = std::int64_t{img->height};
                if (w < 1 || h < 1 || w * h > limit || img->channels != channels
                    || img->hwc.size() != static_cast<std::size_t>(w * h * channels)
                    || (side > 0 && (w != side || h != side)))
                    __builtin_trap();
            } catch (pipeline::error const&) {
            }
        }
    return 0;
}
