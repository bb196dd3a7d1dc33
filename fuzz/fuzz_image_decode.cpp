// Fuzz target: the image decoding path of ImageFolder (data/image_decode.hpp): the header
// check against the pixel limit, the decoders (libjpeg-turbo for JPEG, stb_image for the
// rest), the resize and the centre crop, with a small limit so that no input can make the
// target allocate much. Each input is decoded at its own size and resized, grey and RGB.
// Decoded, refused with pipeline::error or reported undecodable only; what decodes must
// have the promised shape.
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
