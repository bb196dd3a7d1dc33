// The cache file of an ImageFolder: one file holding a decoded folder. Little-endian:
// "PLIMGCA2", u64 fingerprint, u32 classes, channels, height, width, u64 n_train, n_test,
// the class names (u32 length + bytes each), labels (u8 each, train then test), the
// examples' file names relative to the folder (u32 length + bytes each, train then test:
// the per-class report names the test images by them), pixels (uint8 [N, C, H, W], train
// then test), u64 FNV-1a of all before it. Format 1 ("PLIMGCA1") had no file names; such a
// cache is refused as out of date and rebuilt. Torch-free, so the fuzz target builds
// without LibTorch; pipeline/data/image_folder.hpp makes tensors of it.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <pipeline/error.hpp>

namespace pipeline::image_folder {

//! FNV-1a, 64 bits: fingerprints and the cache checksum.
class fnv64 {
public:
    fnv64& add(void const* data, std::size_t n) {
        auto const* p = static_cast<unsigned char const*>(data);
        for (std::size_t i = 0; i < n; ++i) {
            h_ ^= p[i];
            h_ *= 0x100000001b3ULL;
        }
        return *this;
    }
    fnv64& add(std::string const& s) {
        add(s.data(), s.size());
        return add(std::uint64_t{s.size()});
    }
    template <class T>
    requires std::is_arithmetic_v<T> fnv64& add(T v) { return add(&v, sizeof v); }
    [[nodiscard]] std::uint64_t value() const { return h_; }

private:
    std::uint64_t h_ = 0xcbf29ce484222325ULL;
};

inline constexpr std::array<char, 8> cache_magic{'P', 'L', 'I', 'M', 'G', 'C', 'A', '2'};
//! The magic of format 1, which kept no file names.
inline constexpr std::array<char, 8> cache_magic_v1{'P', 'L', 'I', 'M', 'G', 'C', 'A', '1'};
//! The longest file name a cache holds (Linux's PATH_MAX).
inline constexpr std::uint32_t cache_max_name = 4096;

namespace detail {
class byte_reader {
public:
    byte_reader(std::uint8_t const* data, std::size_t size, std::string name)
        : data_(data)
        , size_(size)
        , name_(std::move(name)) {}

    void need(std::size_t n, std::string const& what) const {
        if (n > size_ - pos_)
            throw error(name_ + " at byte " + std::to_string(pos_),
                        std::to_string(n) + " bytes of " + what,
                        "the end of the file after " + std::to_string(size_ - pos_)
                            + " (the cache is truncated)");
    }
    template <class T>
    T read(std::string const& what) {
        need(sizeof(T), what);
        T v{};
        std::memcpy(&v, data_ + pos_, sizeof(T));
        pos_ += sizeof(T);
        return v;
    }
    std::uint8_t const* take(std::size_t n, std::string const& what) {
        need(n, what);
        auto const* p = data_ + pos_;
        pos_ += n;
        return p;
    }
    [[nodiscard]] std::size_t pos() const { return pos_; }
    [[nodiscard]] std::string where() const {
        return name_ + " at byte " + std::to_string(pos_);
    }

private:
    std::uint8_t const* data_;
    std::size_t size_;
    std::size_t pos_ = 0;
    std::string name_;
};

template <class T>
void put(std::vector<std::uint8_t>& out, T v) {
    auto const* p = reinterpret_cast<std::uint8_t const*>(&v);
    out.insert(out.end(), p, p + sizeof(T));
}
} // namespace detail

//! A parsed cache: the header, the file names, and pointers into the parsed buffer for the
//! labels (n_train + n_test bytes) and pixels (that many images of channels x height x
//! width).
struct cache_view {
    std::uint64_t fingerprint = 0;
    std::vector<std::string> classes;
    //! n_train + n_test names, train then test: each example's file relative to the folder.
    std::vector<std::string> names;
    std::uint32_t channels = 0;
    std::uint32_t height = 0;
    std::uint32_t width = 0;
    std::uint64_t n_train = 0;
    std::uint64_t n_test = 0;
    std::uint8_t const* labels = nullptr;
    std::uint8_t const* pixels = nullptr;
};

//! The cache file's bytes for `v` (whose pointers name the labels and pixels to write).
inline std::vector<std::uint8_t> encode_cache(cache_view const& v) {
    auto const n = v.n_train + v.n_test;
    if (v.names.size() != n)
        throw error("an image-folder cache",
                    std::to_string(n) + " file names, one per image",
                    std::to_string(v.names.size()));
    std::vector<std::uint8_t> out(cache_magic.begin(), cache_magic.end());
    detail::put(out, v.fingerprint);
    detail::put(out, static_cast<std::uint32_t>(v.classes.size()));
    detail::put(out, v.channels);
    detail::put(out, v.height);
    detail::put(out, v.width);
    detail::put(out, v.n_train);
    detail::put(out, v.n_test);
    for (auto const& c : v.classes) {
        detail::put(out, static_cast<std::uint32_t>(c.size()));
        out.insert(out.end(), c.begin(), c.end());
    }
    out.insert(out.end(), v.labels, v.labels + n);
    for (auto const& name : v.names) {
        if (name.size() > cache_max_name)
            throw error("an image-folder cache", "file names of at most 4096 bytes",
                        std::to_string(name.size()) + " bytes");
        detail::put(out, static_cast<std::uint32_t>(name.size()));
        out.insert(out.end(), name.begin(), name.end());
    }
    out.insert(out.end(), v.pixels,
               v.pixels + n * std::uint64_t{v.channels} * v.height * v.width);
    detail::put(out, fnv64{}.add(out.data(), out.size()).value());
    return out;
}

//! Parses a cache file held in memory; every inconsistency is a pipeline::error naming the
//! byte offset (the loader then rebuilds the cache).
inline cache_view parse_cache(std::uint8_t const* data, std::size_t size,
                              std::string const& name) {
    detail::byte_reader in(data, size, name);
    auto const* magic = in.take(cache_magic.size(), "the magic number");
    if (std::equal(cache_magic_v1.begin(), cache_magic_v1.end(), magic))
        throw error(
            name, "an image-folder cache of format 2 (magic PLIMGCA2)",
            "format 1 (PLIMGCA1, written by an earlier version without file names)");
    if (!std::equal(cache_magic.begin(), cache_magic.end(), magic))
        throw error(name, "an image-folder cache (magic PLIMGCA2)", "other data");
    cache_view v;
    v.fingerprint = in.read<std::uint64_t>("the fingerprint");
    auto const classes = in.read<std::uint32_t>("the class count");
    v.channels = in.read<std::uint32_t>("the channel count");
    v.height = in.read<std::uint32_t>("the height");
    v.width = in.read<std::uint32_t>("the width");
    v.n_train = in.read<std::uint64_t>("the training count");
    v.n_test = in.read<std::uint64_t>("the test count");
    auto const c = v.channels;
    auto const h = v.height;
    auto const w = v.width;
    if (classes < 1 || classes > 255 || (c != 1 && c != 3) || h < 1 || h > 4096 || w < 1
        || w > 4096)
        throw error(in.where(), "1..255 classes, 1 or 3 channels, sides 1..4096",
                    std::to_string(classes) + " classes, " + std::to_string(c)
                        + " channels, " + std::to_string(w) + "x" + std::to_string(h));
    std::uint64_t const per_image = std::uint64_t{c} * h * w;
    // Counts must fit the bytes that are there (checked before anything is allocated):
    // each image takes its pixels, a label byte and a name's 4-byte length at least.
    if (v.n_train > size || v.n_test > size
        || (v.n_train + v.n_test) * (per_image + 5) > size)
        throw error(in.where(),
                    "image counts that fit the file's " + std::to_string(size) + " bytes",
                    std::to_string(v.n_train) + " training and " + std::to_string(v.n_test)
                        + " test images of " + std::to_string(per_image) + " bytes");
    for (std::uint32_t i = 0; i < classes; ++i) {
        auto len = in.read<std::uint32_t>("a class name's length");
        auto const* p = in.take(len, "a class name");
        v.classes.emplace_back(reinterpret_cast<char const*>(p), len);
    }
    auto const n = v.n_train + v.n_test;
    auto const label_at = in.pos();
    v.labels = in.take(static_cast<std::size_t>(n), "the labels");
    for (std::uint64_t i = 0; i < n; ++i)
        if (v.labels[i] >= classes)
            throw error(name + " at byte " + std::to_string(label_at + i),
                        "a label in [0, " + std::to_string(classes) + ")",
                        std::to_string(int{v.labels[i]}));
    v.names.reserve(static_cast<std::size_t>(n));
    for (std::uint64_t i = 0; i < n; ++i) {
        auto const len = in.read<std::uint32_t>("a file name's length");
        if (len > cache_max_name)
            throw error(name + " at byte " + std::to_string(in.pos() - 4),
                        "a file name of at most 4096 bytes",
                        std::to_string(len) + " bytes");
        auto const* p = in.take(len, "a file name");
        v.names.emplace_back(reinterpret_cast<char const*>(p), len);
    }
    v.pixels = in.take(static_cast<std::size_t>(n * per_image), "the pixels");
    auto const body = in.pos();
    auto const sum = in.read<std::uint64_t>("the checksum");
    if (in.pos() != size)
        throw error(in.where(), "the end of the cache",
                    std::to_string(size - in.pos()) + " more bytes");
    if (sum != fnv64{}.add(data, body).value())
        throw error(name, "a checksum matching the contents", "a mismatch (corrupt cache)");
    return v;
}

} // namespace pipeline::image_folder
