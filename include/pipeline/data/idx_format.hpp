// The IDX format of MNIST and Fashion-MNIST (big-endian header, then raw bytes), gzip-
// compressed or not (zlib reads both), read into plain byte buffers. Torch-free, so the
// fuzz target builds without LibTorch; pipeline/data/idx.hpp makes tensors of the result.
// Every malformed input is one pipeline::error naming the file and what was wrong.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <zlib.h>

#include <pipeline/error.hpp>

namespace pipeline::idx {

inline constexpr std::uint32_t labels_magic = 0x00000801; // unsigned byte, 1 dimension
inline constexpr std::uint32_t images_magic = 0x00000803; // unsigned byte, 3 dimensions

namespace detail {

struct gz_closer {
    void operator()(gzFile_s* f) const { gzclose(f); }
};

//! A gzip (or plain) file read in exact-size chunks, tracking the byte offset of the
//! uncompressed stream for error messages.
class reader {
public:
    explicit reader(std::filesystem::path path)
        : path_(std::move(path)) {
        std::error_code ec;
        if (!std::filesystem::is_regular_file(path_, ec))
            throw error(path_.string(), "an IDX file (gzip or plain)", "no such file");
        file_.reset(gzopen(path_.c_str(), "rb"));
        if (!file_)
            throw error(path_.string(), "a readable file", "it could not be opened");
        gzbuffer(file_.get(), 1 << 17);
    }

    //! Reads exactly `n` bytes or throws naming what was being read and how much was there.
    void read(void* out, std::size_t n, std::string const& what) {
        auto* dst = static_cast<unsigned char*>(out);
        std::size_t done = 0;
        while (done < n) {
            unsigned chunk =
                static_cast<unsigned>(std::min<std::size_t>(n - done, 1u << 30));
            int got = gzread(file_.get(), dst + done, chunk);
            if (got < 0) {
                int errnum = 0;
                char const* msg = gzerror(file_.get(), &errnum);
                throw error(path_.string() + " at byte " + std::to_string(offset_ + done),
                            "a valid gzip stream",
                            std::string("corrupt data (") + msg + ")");
            }
            if (got == 0)
                throw error(path_.string() + " at byte " + std::to_string(offset_ + done),
                            std::to_string(n) + " bytes of " + what,
                            "the end of the file after " + std::to_string(done)
                                + " (the file is truncated)");
            done += static_cast<std::size_t>(got);
        }
        offset_ += n;
    }

    std::uint32_t read_u32(std::string const& what) {
        std::array<unsigned char, 4> b{};
        read(b.data(), 4, what);
        return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16)
               | (std::uint32_t{b[2]} << 8) | std::uint32_t{b[3]};
    }

    //! Throws if anything follows the payload: a file longer than its header says is as
    //! suspect as a shorter one. A gzip stream must also end with its trailer (CRC-32 and
    //! length), the only proof that the decompressed bytes are the ones compressed: zlib
    //! hands out the data of a stream cut before it and merely notes "unexpected end of
    //! file".
    void expect_end() {
        unsigned char extra = 0;
        if (gzread(file_.get(), &extra, 1) > 0)
            throw error(path_.string() + " at byte " + std::to_string(offset_),
                        "the end of the file (the header's counts are exhausted)",
                        "more data");
        int errnum = Z_OK;
        gzerror(file_.get(), &errnum);
        if (errnum != Z_OK)
            throw error(path_.string(),
                        "a complete gzip stream ending in its CRC-32 and length trailer",
                        "the end of the file before the trailer (the file is truncated)");
    }

    [[nodiscard]] std::uint64_t offset() const { return offset_; }
    [[nodiscard]] std::string const& name() const { return path_.native(); }

    void check_magic(std::uint32_t expected, std::string const& kind) {
        auto magic = read_u32("the magic number");
        if (magic != expected) {
            char buf[2][16];
            std::snprintf(buf[0], sizeof buf[0], "0x%08x", expected);
            std::snprintf(buf[1], sizeof buf[1], "0x%08x", magic);
            throw error(path_.string(),
                        std::string("magic number ") + buf[0] + " (" + kind + ")", buf[1]);
        }
    }

private:
    std::filesystem::path path_;
    std::unique_ptr<gzFile_s, gz_closer> file_;
    std::uint64_t offset_ = 0;
};

} // namespace detail

//! An IDX file's dimensions and payload bytes.
struct payload {
    std::vector<std::uint32_t> dims;
    std::vector<std::uint8_t> bytes;
};

namespace detail {
//! Reads `n` bytes in bounded chunks, so a header that claims more data than the file
//! holds fails at the end of the file instead of allocating the claimed size up front.
inline std::vector<std::uint8_t> read_bytes(reader& in, std::uint64_t n,
                                            std::string const& what) {
    std::vector<std::uint8_t> out;
    constexpr std::uint64_t chunk = std::uint64_t{1} << 20;
    while (out.size() < n) {
        auto const at = out.size();
        auto const len = static_cast<std::size_t>(std::min<std::uint64_t>(chunk, n - at));
        out.resize(at + len);
        in.read(out.data() + at, len, what);
    }
    return out;
}
} // namespace detail

//! Reads an IDX label file: N bytes, each in [0, classes).
inline payload read_label_bytes(std::filesystem::path const& path, int classes) {
    detail::reader in(path);
    in.check_magic(labels_magic, "IDX labels: unsigned bytes, 1 dimension");
    auto n = in.read_u32("the label count");
    if (n == 0)
        throw error(path.string() + " at byte 4", "a label count of at least 1",
                    "0 (a file without labels)");
    auto bytes = detail::read_bytes(in, n, std::to_string(n) + " labels");
    in.expect_end();
    for (std::uint32_t i = 0; i < n; ++i)
        if (bytes[i] >= classes)
            throw error(path.string() + " at byte " + std::to_string(8 + i),
                        "a label in [0, " + std::to_string(classes) + ")",
                        std::to_string(int{bytes[i]}) + " (label " + std::to_string(i)
                            + ")");
    return {{n}, std::move(bytes)};
}

//! Reads an IDX image file: N x H x W bytes. `height`/`width` are the expected sizes (0
//! accepts any).
inline payload read_image_bytes(std::filesystem::path const& path, int height = 0,
                                int width = 0) {
    detail::reader in(path);
    in.check_magic(images_magic, "IDX images: unsigned bytes, 3 dimensions");
    auto n = in.read_u32("the image count");
    if (n == 0)
        throw error(path.string() + " at byte 4", "an image count of at least 1",
                    "0 (a file without images)");
    auto h = in.read_u32("the image height");
    auto w = in.read_u32("the image width");
    if ((height && h != static_cast<std::uint32_t>(height))
        || (width && w != static_cast<std::uint32_t>(width)))
        throw error(path.string(),
                    "images of " + std::to_string(height) + "x" + std::to_string(width),
                    std::to_string(h) + "x" + std::to_string(w));
    if (h == 0 || w == 0 || h > 4096 || w > 4096)
        throw error(path.string(), "image sides between 1 and 4096",
                    std::to_string(h) + "x" + std::to_string(w));
    auto bytes = detail::read_bytes(in, std::uint64_t{n} * h * w,
                                    std::to_string(n) + " images of " + std::to_string(h)
                                        + "x" + std::to_string(w));
    in.expect_end();
    return {{n, h, w}, std::move(bytes)};
}

} // namespace pipeline::idx
