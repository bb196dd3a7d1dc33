// One image file's bytes decoded with bounded memory: the header is read first and an
// image that claims more pixels than allowed is refused before anything is allocated for
// it (a 633-byte JPEG can claim 26000x26000, 2 GB decoded). JPEG goes to libjpeg-turbo
// (the decoder PIL and torchvision use, fuzzed upstream by OSS-Fuzz, so pixels match
// theirs); PNG, BMP, GIF, TGA and PNM to stb_image. Torch-free, so the fuzz target builds
// without LibTorch; pipeline/data/image_folder.hpp makes tensors of the result.
#pragma once

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
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
// stb's implementations are compiled static into each translation unit that includes
// this header. Formats ImageFolder does not promise (PSD, PIC, HDR) are compiled out, and
// so is stb's JPEG decoder, which libjpeg-turbo replaces: less code reading untrusted
// bytes (stb_image 2.27, Debian bookworm's, reads out of bounds on crafted JPEGs, see
// fuzz/stb-2.27-known/, and its HDR reader loops forever on a truncated run,
// CVE-2021-42715).
#ifndef STBI_INCLUDE_STB_IMAGE_H
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_FAILURE_USERMSG
#define STBI_NO_JPEG
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

#include <turbojpeg.h>

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

//! JPEG files start with SOI (ff d8) and a marker.
inline bool is_jpeg(std::span<std::uint8_t const> b) {
    return b.size() >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff;
}

//! RGB from a grey image, or grey from an RGB one (with stb_image's own luma weights, so
//! that every format stb_image decodes turns grey the same way).
inline std::vector<std::uint8_t> convert_channels(std::vector<std::uint8_t> const& from,
                                                  int from_channels, std::size_t area) {
    std::vector<std::uint8_t> to(area * (from_channels == 1 ? 3 : 1));
    for (std::size_t i = 0; i < area; ++i)
        if (from_channels == 1)
            std::fill_n(to.data() + 3 * i, 3, from[i]);
        else
            to[i] = static_cast<std::uint8_t>(
                (from[3 * i] * 77 + from[3 * i + 1] * 150 + from[3 * i + 2] * 29) >> 8);
    return to;
}

//! libjpeg-turbo's TurboJPEG decompressor, one per call (a few kilobytes, microseconds).
class jpeg_decoder {
public:
    jpeg_decoder()
        : handle_(tjInitDecompress()) {}
    ~jpeg_decoder() {
        if (handle_)
            tjDestroy(handle_);
    }
    jpeg_decoder(jpeg_decoder const&) = delete;
    jpeg_decoder& operator=(jpeg_decoder const&) = delete;

    //! The frame header's size, and its colour space in `colour_space`; nullopt with
    //! libjpeg's reason if the header does not read.
    std::optional<claimed_size> header(std::span<std::uint8_t const> b, std::string& reason,
                                       int& colour_space) {
        int w = 0;
        int h = 0;
        int subsampling = 0;
        if (!handle_
            || tjDecompressHeader3(handle_, b.data(), b.size(), &w, &h, &subsampling,
                                   &colour_space)
                   != 0) {
            reason = why("no JPEG frame header");
            return std::nullopt;
        }
        return claimed_size{static_cast<std::uint64_t>(w), static_cast<std::uint64_t>(h)};
    }

    //! The whole image in `channels` (1 or 3). Strict: a warning (corrupt or truncated
    //! entropy-coded data, which libjpeg would fill with grey) refuses the file, as does
    //! a progressive JPEG of an unreasonable number of scans (a known CPU-time bomb).
    //! CMYK and YCCK files (Adobe's inverted CMYK) are converted to RGB as PIL and
    //! stb_image do.
    std::optional<image_pixels> decode(std::span<std::uint8_t const> b, int channels,
                                       std::string& reason) {
        int colour_space = 0;
        auto const size = header(b, reason, colour_space);
        if (!size)
            return std::nullopt;
        bool const cmyk = colour_space == TJCS_CMYK || colour_space == TJCS_YCCK;
        int const own = cmyk ? 4 : channels;
        int const format = cmyk ? TJPF_CMYK : channels == 1 ? TJPF_GRAY : TJPF_RGB;
        auto const w = static_cast<int>(size->width);
        auto const h = static_cast<int>(size->height);
        auto const area = static_cast<std::size_t>(size->pixels());
        std::vector<std::uint8_t> px(area * static_cast<std::size_t>(own));
        if (tjDecompress2(handle_, b.data(), b.size(), px.data(), w, 0, h, format,
                          TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS)
            != 0) {
            reason = "a JPEG libjpeg-turbo refuses: " + why("no reason given");
            return std::nullopt;
        }
        if (cmyk) { // inverted CMYK, as Adobe writes it: R = C * K / 255 and so on
            std::vector<std::uint8_t> rgb(area * 3);
            for (std::size_t i = 0; i < area; ++i)
                for (std::size_t k = 0; k < 3; ++k)
                    rgb[3 * i + k] = static_cast<std::uint8_t>(
                        (unsigned{px[4 * i + k]} * px[4 * i + 3] + 127) / 255);
            px = channels == 1 ? convert_channels(rgb, 3, area) : std::move(rgb);
        }
        return image_pixels{w, h, channels, std::move(px)};
    }

private:
    std::string why(char const* fallback) {
        char const* text = handle_ ? tjGetErrorStr2(handle_) : tjGetErrorStr2(nullptr);
        return text && *text ? text : fallback;
    }

    tjhandle handle_;
};
} // namespace detail

//! The size `bytes` claims: libjpeg-turbo's or stb_image's header reader, or for a PNG
//! whose header stb_image refuses as too large to decode (RGB over about 18900x18900),
//! the IHDR chunk that every PNG starts with, so that the message can still say the size.
//! nullopt if none reads.
inline std::optional<claimed_size> read_claimed_size(std::span<std::uint8_t const> bytes) {
    if (bytes.empty() || bytes.size() > static_cast<std::size_t>(INT32_MAX))
        return std::nullopt;
    if (detail::is_jpeg(bytes)) {
        std::string reason;
        int colour_space = 0;
        return detail::jpeg_decoder{}.header(bytes, reason, colour_space);
    }
    int w = 0;
    int h = 0;
    int n = 0;
    // A top-down BMP stores its height negated, and stb_image's info passes it on as read
    // (its loader flips the sign): the size is the magnitude (a 32x-32 BMP was refused as
    // 32x18446744073709551584 pixels).
    auto const magnitude = [](int v) {
        return v < 0 ? static_cast<std::uint64_t>(-static_cast<std::int64_t>(v))
                     : static_cast<std::uint64_t>(v);
    };
    if (stbi_info_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &n))
        return claimed_size{magnitude(w), magnitude(h)};
    static constexpr std::uint8_t png[16] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
                                             0,    0,   0,   13,  'I',  'H',  'D',  'R'};
    if (bytes.size() >= 24 && std::equal(std::begin(png), std::end(png), bytes.begin()))
        return claimed_size{detail::big_endian_u32(bytes.data() + 16),
                            detail::big_endian_u32(bytes.data() + 20)};
    return std::nullopt;
}

//! Decodes with stb_image (every format but JPEG): the whole image in `channels`.
inline std::optional<image_pixels> decode_with_stb(std::span<std::uint8_t const> bytes,
                                                   int channels, std::string& reason) {
    // stb_image 2.27 converts the channels of a 16-bit PNM with its 8-bit routine and
    // then reads twice the bytes it has (fixed upstream in 2.28): such a file is decoded
    // in its own channels (grey or RGB) and converted here.
    bool const pnm16 =
        bytes.size() >= 2 && bytes[0] == 'P' && (bytes[1] == '5' || bytes[1] == '6')
        && stbi_is_16_bit_from_memory(bytes.data(), static_cast<int>(bytes.size()));
    int const own = pnm16 ? (bytes[1] == '5' ? 1 : 3) : channels;
    int w = 0;
    int h = 0;
    int n = 0;
    // stb_image keeps its last failure reason, and a loader may fail without setting one
    // (a GIF without a frame): start from a known reason (an empty buffer's), so that one
    // left from another file is never reported for this one.
    stbi_info_from_memory(bytes.data(), 0, &w, &h, &n);
    char const* const no_reason = stbi_failure_reason();
    unsigned char* decoded = stbi_load_from_memory(
        bytes.data(), static_cast<int>(bytes.size()), &w, &h, &n, own);
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
    auto const area = static_cast<std::size_t>(w) * static_cast<std::size_t>(h);
    std::vector<std::uint8_t> px(decoded, decoded + area * static_cast<std::size_t>(own));
    if (own != channels)
        px = detail::convert_channels(px, own, area);
    return image_pixels{w, h, channels, std::move(px)};
}

//! The bytes of the image file `path`, its size checked before anything is read: a file
//! over 2 GB (more than any decoder here takes) is refused from its size, not read whole
//! first (classify once held 4.4 GB for a 2.5 GB file before refusing it). nullopt, with
//! the reason, when it is too large or cannot be read.
inline std::optional<std::vector<std::uint8_t>>
read_image_file(std::filesystem::path const& path, std::string& reason) {
    std::error_code ec;
    auto const size = std::filesystem::file_size(path, ec);
    if (ec) {
        reason = "a file that cannot be read (" + ec.message() + ")";
        return std::nullopt;
    }
    if (size > static_cast<std::uintmax_t>(INT32_MAX)) {
        reason = "a file over 2 GB (" + std::to_string(size) + " bytes; refused unread)";
        return std::nullopt;
    }
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
    std::ifstream in(path, std::ios::binary);
    if (!in.read(reinterpret_cast<char*>(bytes.data()),
                 static_cast<std::streamsize>(size))) {
        reason = "a file that cannot be read";
        return std::nullopt;
    }
    return bytes;
}

//! Decodes the image file `name`, whose content is `bytes`, into `p.channels` channels;
//! with `p.size` > 0 the shorter side is resized to `p.size` and the centre square kept.
//! Returns nullopt, with the reason, when the bytes are not an image that decodes
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
    bool const jpeg = detail::is_jpeg(bytes);
    std::optional<claimed_size> claimed;
    if (jpeg) {
        int colour_space = 0;
        claimed = detail::jpeg_decoder{}.header(bytes, reason, colour_space);
        if (!claimed) {
            reason = "a JPEG libjpeg-turbo refuses: " + reason;
            return std::nullopt;
        }
    } else if (claimed = read_claimed_size(bytes); !claimed) {
        reason = stbi_failure_reason() ? stbi_failure_reason() : "no image header";
        return std::nullopt;
    }
    if (claimed->pixels()
        > static_cast<std::uint64_t>(std::max<std::int64_t>(p.max_pixels, 0)))
        throw error(
            name, "an image of at most " + std::to_string(p.max_pixels) + " pixels" + raise,
            claimed->text() + " (" + std::to_string(claimed->pixels())
                + " pixels) claimed by its header");
    auto decoded = jpeg ? detail::jpeg_decoder{}.decode(bytes, p.channels, reason)
                        : decode_with_stb(bytes, p.channels, reason);
    if (!decoded)
        return std::nullopt;
    auto const [w, h] = std::pair{decoded->width, decoded->height};
    auto const c = static_cast<std::size_t>(p.channels);
    // Kept as decoded: no size asked for, or already the size asked for (a resampling
    // filter would blur even at scale 1).
    if (p.size <= 0 || (w == p.size && h == p.size))
        return decoded;
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
    if (!stbir_resize_uint8(decoded->hwc.data(), w, h, 0, resized.data(), iw, ih, 0,
                            p.channels)) {
        reason = "resizing failed";
        return std::nullopt;
    }
    image_pixels out{p.size, p.size, p.channels, {}};
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
