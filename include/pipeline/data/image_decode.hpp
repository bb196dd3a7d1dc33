// One image file's bytes decoded with stb_image, with bounded memory: the header is read
// first and an image that claims more pixels than allowed is refused before anything is
// allocated for it (a 633-byte JPEG can claim 26000x26000, 2 GB decoded). Torch-free, so
// the fuzz target builds without LibTorch; pipeline/data/image_folder.hpp makes tensors of
// the result.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#endif
// Header-only library: stb's implementations are compiled static into each translation
// unit that includes this header, so no extra library is linked. Formats ImageFolder does
// not promise (PSD, PIC, HDR) are compiled out: less code reading untrusted bytes
// (stb_image 2.27's HDR reader loops forever on a truncated run, CVE-2021-42715).
#ifndef STBI_INCLUDE_STB_IMAGE_H
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_FAILURE_USERMSG
#define STBI_NO_PSD
#define STBI_NO_PIC
#define STBI_NO_HDR
#include <stb_image.h>
#endif
#ifndef STBIR_INCLUDE_STB_IMAGE_RESIZE_H
#define STB_IMAGE_RESIZE_STATIC
#define STB_IMAGE_RESIZE_IMPLEMENTATION
#include <stb_image_resize.h>
#endif
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#include <pipeline/dsl/datasets.hpp>
#include <pipeline/error.hpp>

namespace pipeline::image_folder {

//! Decoded pixels: height x width x channels bytes, row-major.
struct image_pixels {
    int width = 0;
    int height = 0;
    int channels = 0;
    std::vector<std::uint8_t> hwc;
};

//! Width and height as an image's header claims them, before any pixel is decoded.
struct claimed_size {
    //! At most 2^32 - 1 each (a PNG's IHDR holds 32-bit sides), so the product fits.
    std::uint64_t width = 0;
    std::uint64_t height = 0;

    [[nodiscard]] std::uint64_t pixels() const { return width * height; }
    [[nodiscard]] std::string text() const {
        return std::to_string(width) + "x" + std::to_string(height);
    }
};

namespace detail {
inline std::uint32_t big_endian_u32(std::uint8_t const* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16)
           | (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}

//! The code count of the first Huffman table over 256 codes in a JPEG's DHT segments, or
//! 0. The standard allows 256 (one per byte value); stb_image 2.27, Debian bookworm's,
//! writes a larger table past the end of its arrays (fixed upstream in 2.28), so such a
//! file must not reach it. Walks the segments the way stb_image does (a marker, its
//! length; entropy-coded data scanned for the next marker) and checks every DHT it could
//! reach, stb_image's own reading of the header included.
inline std::size_t oversized_jpeg_huffman_table(std::span<std::uint8_t const> b) {
    auto at = [&](std::size_t i) -> std::size_t { return i < b.size() ? b[i] : 0; };
    std::size_t i = 1;
    while (at(i) == 0xff) // stb_image takes any number of 0xff before SOI's 0xd8
        ++i;
    if (at(0) != 0xff || at(i) != 0xd8)
        return 0;
    ++i;
    while (i < b.size()) {
        if (b[i] != 0xff) {
            ++i;
            continue;
        }
        std::size_t j = i + 1;
        while (j < b.size() && b[j] == 0xff) // fill bytes
            ++j;
        if (j >= b.size())
            break;
        std::size_t const marker = b[j];
        i = j + 1;
        if (marker == 0x00 || marker == 0x01 || (marker >= 0xd0 && marker <= 0xd8))
            continue; // a stuffed 0xff, TEM, RSTn, SOI: no segment follows
        if (marker == 0xd9)
            break; // EOI
        std::size_t const length = (at(i) << 8) | at(i + 1);
        if (length < 2)
            break;
        if (marker == 0xc4) { // DHT: tables of a class byte, 16 counts, the symbols
            auto left = static_cast<std::int64_t>(length) - 2;
            for (std::size_t t = i + 2; left > 0;) {
                std::size_t codes = 0;
                for (std::size_t k = 1; k <= 16; ++k)
                    codes += at(t + k);
                if (codes > 256)
                    return codes;
                t += 17 + codes;
                left -= static_cast<std::int64_t>(17 + codes);
            }
        }
        i += length;
    }
    return 0;
}
} // namespace detail

//! The size `bytes` claims: stb_image's header reader, or for a PNG whose header it
//! refuses as too large to decode (RGB over about 18900x18900), the IHDR chunk that every
//! PNG starts with, so that the message can still say the size. nullopt if neither reads.
inline std::optional<claimed_size> read_claimed_size(std::span<std::uint8_t const> bytes) {
    if (bytes.empty() || bytes.size() > static_cast<std::size_t>(INT32_MAX))
        return std::nullopt;
    int w = 0;
    int h = 0;
    int n = 0;
    if (stbi_info_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &n))
        return claimed_size{static_cast<std::uint64_t>(w), static_cast<std::uint64_t>(h)};
    static constexpr std::uint8_t png[16] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
                                             0,    0,   0,   13,  'I',  'H',  'D',  'R'};
    if (bytes.size() >= 24 && std::equal(std::begin(png), std::end(png), bytes.begin()))
        return claimed_size{detail::big_endian_u32(bytes.data() + 16),
                            detail::big_endian_u32(bytes.data() + 20)};
    return std::nullopt;
}

//! Decodes the image file `name`, whose content is `bytes`, into `p.channels` channels;
//! with `p.size` > 0 the shorter side is resized to `p.size` and the centre square kept.
//! Returns nullopt, with the reason, when the bytes are not an image stb_image decodes
//! (`skip_unreadable` may skip such a file). Throws pipeline::error naming the file and
//! its claimed size when the header claims more than `p.max_pixels` pixels, or resizing
//! would make more than that (a file that decodes but is refused on purpose is never
//! skipped silently).
//!
//!     std::string why;
//!     auto img = decode_image(bytes, {.classes = 2, .size = 64}, "cat/1.jpg", why);
inline std::optional<image_pixels> decode_image(std::span<std::uint8_t const> bytes,
                                                ImageFolderParams const& p,
                                                std::string const& name,
                                                std::string& reason) {
    auto const raise = " (ImageFolder<..., {.max_pixels = N}> raises the limit)";
    if (bytes.empty() || bytes.size() > static_cast<std::size_t>(INT32_MAX)) {
        reason = bytes.empty() ? "an empty file" : "a file over 2 GB";
        return std::nullopt;
    }
    if (auto codes = detail::oversized_jpeg_huffman_table(bytes)) {
        reason = "a corrupt JPEG: a Huffman table of " + std::to_string(codes)
                 + " codes, where the standard allows 256";
        return std::nullopt;
    }
    auto const claimed = read_claimed_size(bytes);
    if (!claimed) {
        reason = stbi_failure_reason() ? stbi_failure_reason() : "no image header";
        return std::nullopt;
    }
    if (claimed->pixels()
        > static_cast<std::uint64_t>(std::max<std::int64_t>(p.max_pixels, 0)))
        throw error(
            name, "an image of at most " + std::to_string(p.max_pixels) + " pixels" + raise,
            claimed->text() + " (" + std::to_string(claimed->pixels())
                + " pixels) claimed by its header");
    // stb_image 2.27 converts the channels of a 16-bit PNM with its 8-bit routine and
    // then reads twice the bytes it has (fixed upstream in 2.28): such a file is decoded
    // in its own channels (grey or RGB) and converted here.
    bool const pnm16 =
        bytes.size() >= 2 && bytes[0] == 'P' && (bytes[1] == '5' || bytes[1] == '6')
        && stbi_is_16_bit_from_memory(bytes.data(), static_cast<int>(bytes.size()));
    int const own = bytes.size() >= 2 && bytes[1] == '5' ? 1 : 3;
    int w = 0;
    int h = 0;
    int n = 0;
    // stb_image keeps its last failure reason, and a loader may fail without setting one
    // (a GIF without a frame): start from a known reason (an empty buffer's), so that one
    // left from another file is never reported for this one.
    stbi_info_from_memory(bytes.data(), 0, &w, &h, &n);
    char const* const no_reason = stbi_failure_reason();
    unsigned char* decoded = stbi_load_from_memory(
        bytes.data(), static_cast<int>(bytes.size()), &w, &h, &n, pnm16 ? own : p.channels);
    if (!decoded) {
        char const* why = stbi_failure_reason();
        reason = why && why != no_reason && *why
                     ? why
                     : "corrupt data (stb_image gave no reason)";
        return std::nullopt;
    }
    std::unique_ptr<unsigned char, void (*)(void*)> owner(decoded, stbi_image_free);
    if (w < 1 || h < 1) { // stb_image 2.27 reads a PNM header without digits as 0
        reason = "an image of " + std::to_string(w) + "x" + std::to_string(h) + " pixels";
        return std::nullopt;
    }
    auto const c = static_cast<std::size_t>(p.channels);
    auto const area = static_cast<std::size_t>(w) * static_cast<std::size_t>(h);
    std::vector<std::uint8_t> converted;
    if (pnm16 && own != p.channels) {
        converted.resize(area * c);
        for (std::size_t i = 0; i < area; ++i)
            if (own == 1) // grey to RGB
                std::fill_n(converted.data() + 3 * i, 3, decoded[i]);
            else // RGB to grey, with stb_image's weights
                converted[i] = static_cast<std::uint8_t>((decoded[3 * i] * 77
                                                          + decoded[3 * i + 1] * 150
                                                          + decoded[3 * i + 2] * 29)
                                                         >> 8);
    }
    unsigned char const* const pixels = converted.empty() ? decoded : converted.data();
    image_pixels out{w, h, p.channels, {}};
    // Kept as decoded: no size asked for, or already the size asked for (a resampling
    // filter would blur even at scale 1).
    if (p.size <= 0 || (w == p.size && h == p.size)) {
        out.hwc.assign(pixels, pixels + area * c);
        return out;
    }
    // Shorter side to `size` (the longer in proportion), then the centre square. A long
    // thin image scaled up could need more than the limit: refused like a large one.
    double const scale = double(p.size) / double(std::min(w, h));
    double const rw = std::max<double>(p.size, std::round(w * scale));
    double const rh = std::max<double>(p.size, std::round(h * scale));
    if (rw * rh
        > double(std::max<std::int64_t>(p.max_pixels, std::int64_t{p.size} * p.size)))
        throw error(name,
                    "an image whose shorter side resized to " + std::to_string(p.size)
                        + " keeps at most " + std::to_string(p.max_pixels) + " pixels"
                        + raise,
                    std::to_string(w) + "x" + std::to_string(h)
                        + " (resized: " + std::to_string(std::llround(rw)) + "x"
                        + std::to_string(std::llround(rh)) + ")");
    int const iw = static_cast<int>(rw);
    int const ih = static_cast<int>(rh);
    std::vector<std::uint8_t> resized(static_cast<std::size_t>(iw) * ih * c);
    if (!stbir_resize_uint8(pixels, w, h, 0, resized.data(), iw, ih, 0, p.channels)) {
        reason = "resizing failed";
        return std::nullopt;
    }
    out.width = out.height = p.size;
    out.hwc.resize(static_cast<std::size_t>(p.size) * p.size * c);
    auto const row = static_cast<std::size_t>(p.size) * c;
    auto const x0 = static_cast<std::size_t>((iw - p.size) / 2);
    auto const y0 = static_cast<std::size_t>((ih - p.size) / 2);
    for (std::size_t y = 0; y < static_cast<std::size_t>(p.size); ++y)
        std::copy_n(resized.data() + ((y0 + y) * static_cast<std::size_t>(iw) + x0) * c,
                    row, out.hwc.data() + y * row);
    return out;
}

} // namespace pipeline::image_folder
