// Load<ImageFolder<"name", {...}>>: a user's own photos in `<root>/<class>/*.jpg` (or
// `<root>/train/<class>/...` and `<root>/val/<class>/...`), decoded (libjpeg-turbo for
// JPEG, stb_image for the rest), resized in the type's size, and cached as one file next to
// the data. The cache carries a fingerprint of the file list (paths, sizes, modification
// times) and of the type's parameters plus a checksum; a stale or corrupt cache is detected
// and rebuilt, never trusted.
#pragma once

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include <pipeline/data/dataset.hpp>
#include <pipeline/data/image_cache_format.hpp>
#include <pipeline/data/image_decode.hpp>
#include <pipeline/dsl/datasets.hpp>
#include <pipeline/error.hpp>
#include <pipeline/io/atomic_file.hpp>

namespace pipeline {
namespace image_folder {

//! One image file and its class.
struct entry {
    std::filesystem::path path;
    std::int64_t label = 0;
};

//! What is on disk: the class names (sorted folder names) and the files of each split.
//! `split_dirs`: the root holds train/ and val/; otherwise the test split is drawn from
//! the class folders.
struct listing {
    std::vector<std::string> classes;
    std::vector<entry> train;
    std::vector<entry> test;
    bool split_dirs = false;
};

inline bool is_image_file(std::filesystem::path const& p) {
    auto ext = p.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    static constexpr std::array<std::string_view, 9> known{
        ".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tga", ".ppm", ".pgm", ".pnm"};
    return std::find(known.begin(), known.end(), ext) != known.end();
}

inline std::vector<std::string> class_folders(std::filesystem::path const& dir) {
    std::vector<std::string> names;
    for (auto const& e : std::filesystem::directory_iterator(dir))
        if (e.is_directory() && e.path().filename().string().front() != '.')
            names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

//! The images of a class folder, sorted. Links to images that point nowhere are left out
//! and said so (on stderr, or in the error when nothing else is there): they were once
//! left out silently, and a folder of only such links was called empty.
inline std::vector<std::filesystem::path> images_in(std::filesystem::path const& dir) {
    std::vector<std::filesystem::path> files;
    std::vector<std::string> dangling;
    for (auto const& e : std::filesystem::directory_iterator(dir)) {
        if (!is_image_file(e.path()) || e.path().filename().string().front() == '.')
            continue;
        std::error_code ec;
        if (e.is_regular_file(ec))
            files.push_back(e.path());
        else if (e.is_symlink(ec) && !std::filesystem::exists(e.path(), ec))
            dangling.push_back(e.path().filename().string() + " -> "
                               + std::filesystem::read_symlink(e.path(), ec).string());
    }
    std::sort(files.begin(), files.end());
    std::sort(dangling.begin(), dangling.end());
    auto const links = [&] {
        return std::to_string(dangling.size())
               + (dangling.size() == 1 ? " link that points" : " links that point")
               + " nowhere, the first " + dangling.front();
    };
    if (files.empty())
        throw error(dir.string(),
                    "a class folder with at least one image (.jpg, .png, ...)",
                    dangling.empty() ? "an empty folder" : "no image but " + links());
    if (!dangling.empty())
        std::cerr << "pipeline: " << dir.string() << ": skipped " << links() << "\n";
    return files;
}

inline std::string joined(std::vector<std::string> const& names) {
    std::string out;
    for (auto const& n : names)
        out += (out.empty() ? "" : ", ") + n;
    return out;
}

//! Lists `root` for a dataset of `classes` classes; `test_fraction` of each class is held
//! out (a fixed draw per class name, the same on every run) when there is no val/ folder.
inline listing scan(std::filesystem::path const& root, int classes, double test_fraction) {
    namespace fs = std::filesystem;
    listing out;
    std::error_code ec;
    if (!fs::is_directory(root, ec))
        throw error(root.string(), "a folder of class folders", "no such directory");
    out.split_dirs = fs::is_directory(root / "train", ec);
    auto const train_root = out.split_dirs ? root / "train" : root;
    out.classes = class_folders(train_root);
    if (static_cast<int>(out.classes.size()) != classes)
        throw error(train_root.string(),
                    std::to_string(classes)
                        + " class folders (ImageFolder<..., {.classes = "
                        + std::to_string(classes) + "}>)",
                    std::to_string(out.classes.size()) + " (" + joined(out.classes) + ")");
    if (out.split_dirs) {
        if (!fs::is_directory(root / "val", ec))
            throw error(root.string(), "a val/ folder next to train/", "none");
        auto val_classes = class_folders(root / "val");
        if (val_classes != out.classes)
            throw error((root / "val").string(),
                        "the class folders of train/ (" + joined(out.classes) + ")",
                        "(" + joined(val_classes) + ")");
    }
    for (std::size_t c = 0; c < out.classes.size(); ++c) {
        auto const label = static_cast<std::int64_t>(c);
        auto files = images_in(train_root / out.classes[c]);
        if (out.split_dirs) {
            for (auto& f : files)
                out.train.push_back({f, label});
            for (auto& f : images_in(root / "val" / out.classes[c]))
                out.test.push_back({f, label});
            continue;
        }
        std::mt19937_64 rng(fnv64{}.add(out.classes[c]).value());
        std::shuffle(files.begin(), files.end(), rng);
        auto held =
            files.size() < 2
                ? std::size_t{0}
                : std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(
                                               test_fraction * double(files.size()))));
        held = std::min(held, files.size() - 1);
        for (std::size_t i = 0; i < files.size(); ++i)
            (i < held ? out.test : out.train).push_back({files[i], label});
    }
    if (out.test.empty())
        throw error(root.string(),
                    "at least one test image (a val/ folder, or classes of two "
                    "or more images)",
                    "none");
    return out;
}

//! The fingerprint of a listing and the decoding parameters: any added, removed, renamed,
//! resized or touched file, or another size or channel count, changes it; so does the
//! decoders' version (2: JPEG by libjpeg-turbo, whose pixels differ from stb_image's).
inline std::uint64_t fingerprint(listing const& l, std::filesystem::path const& root,
                                 int size, int channels, double test_fraction) {
    constexpr std::uint32_t decoders = 2;
    fnv64 h;
    h.add(decoders).add(size).add(channels).add(test_fraction).add(l.split_dirs);
    for (auto const& c : l.classes)
        h.add(c);
    for (auto const* part : {&l.train, &l.test}) {
        h.add(std::uint64_t{part->size()});
        for (auto const& e : *part) {
            std::error_code ec;
            h.add(std::filesystem::relative(e.path, root, ec).generic_string())
                .add(e.label);
            h.add(static_cast<std::uint64_t>(std::filesystem::file_size(e.path, ec)));
            auto t = std::filesystem::last_write_time(e.path, ec);
            h.add(static_cast<std::int64_t>(t.time_since_epoch().count()));
        }
    }
    return h.value();
}

//! The bytes of `path` (none if it cannot be read).
inline std::vector<std::uint8_t> read_file(std::filesystem::path const& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

//! Decodes one image to uint8 [channels, H, W] as `p` says (decode_image: the header's
//! size checked against `p.max_pixels` first, then decoded, resized and cropped).
//! nullopt (with the reason) if it does not decode.
inline std::optional<torch::Tensor>
decode(std::filesystem::path const& path, ImageFolderParams const& p, std::string& reason) {
    auto const bytes = read_image_file(path, reason);
    if (!bytes)
        return std::nullopt;
    auto img = decode_image(*bytes, p, path.string(), reason);
    if (!img)
        return std::nullopt;
    return torch::from_blob(img->hwc.data(), {img->height, img->width, img->channels},
                            torch::kUInt8)
        .permute({2, 0, 1})
        .clone();
}

//! Decodes every file of one split into uint8 [N, C, H, W] and int64 [N]; appends the name
//! of each image kept (its path relative to `root`) to `names`.
inline labelled_images decode_all(std::vector<entry> const& files,
                                  ImageFolderParams const& p, std::int64_t& expected_h,
                                  std::int64_t& expected_w,
                                  std::filesystem::path const& root,
                                  std::vector<std::string>& names) {
    std::vector<torch::Tensor> images;
    std::vector<std::int64_t> labels;
    std::size_t skipped = 0;
    std::string first_skipped;
    std::filesystem::path reference = root;
    for (auto const& e : files) {
        std::string reason;
        auto img = decode(e.path, p, reason);
        if (!img) {
            if (!p.skip_unreadable)
                throw error(e.path.string(),
                            "an image file (JPEG, PNG, BMP, GIF, TGA, PNM); "
                            "ImageFolder<..., {.skip_unreadable = true}> skips such files",
                            "undecodable data (" + reason + ")");
            if (skipped++ == 0)
                first_skipped = e.path.string() + " (" + reason + ")";
            continue;
        }
        if (expected_h == 0) {
            expected_h = img->size(1);
            expected_w = img->size(2);
            reference = e.path;
        } else if (img->size(1) != expected_h || img->size(2) != expected_w) {
            throw error(e.path.string(),
                        "an image of " + std::to_string(expected_w) + "x"
                            + std::to_string(expected_h) + " like " + reference.string()
                            + " (or ImageFolder<..., {.size = N}> to resize all)",
                        std::to_string(img->size(2)) + "x" + std::to_string(img->size(1)));
        }
        images.push_back(*img);
        labels.push_back(e.label);
        names.push_back(e.path.lexically_relative(root).generic_string());
    }
    if (skipped)
        std::cerr << "pipeline: skipped " << skipped << " unreadable image"
                  << (skipped == 1 ? "" : "s") << ", the first " << first_skipped << "\n";
    if (images.empty())
        throw error(root.string(), "at least one decodable image", "none");
    return {torch::stack(images), torch::tensor(labels, torch::kInt64)};
}

//! A decoded folder: what the cache holds.
struct decoded {
    std::uint64_t fingerprint = 0;
    std::vector<std::string> classes;
    labelled_images train;
    labelled_images test;
    //! Each training image's file, relative to the folder (generic form: '/' separators).
    std::vector<std::string> train_names;
    //! Each test image's file, likewise.
    std::vector<std::string> test_names;
};

//! The cache file's bytes for `d`.
inline std::vector<std::uint8_t> serialize(decoded const& d) {
    auto labels =
        torch::cat({d.train.labels, d.test.labels}).to(torch::kUInt8).contiguous();
    auto pixels = torch::cat({d.train.images, d.test.images}).contiguous();
    cache_view v;
    v.fingerprint = d.fingerprint;
    v.classes = d.classes;
    v.channels = static_cast<std::uint32_t>(pixels.size(1));
    v.height = static_cast<std::uint32_t>(pixels.size(2));
    v.width = static_cast<std::uint32_t>(pixels.size(3));
    v.n_train = static_cast<std::uint64_t>(d.train.size());
    v.n_test = static_cast<std::uint64_t>(d.test.size());
    v.names = d.train_names;
    v.names.insert(v.names.end(), d.test_names.begin(), d.test_names.end());
    v.labels = labels.data_ptr<std::uint8_t>();
    v.pixels = pixels.data_ptr<std::uint8_t>();
    return encode_cache(v);
}

//! Parses a cache file held in memory into tensors (see parse_cache for the checks).
inline decoded parse(std::uint8_t const* data, std::size_t size, std::string const& name) {
    auto v = parse_cache(data, size, name);
    auto const n = static_cast<std::int64_t>(v.n_train + v.n_test);
    auto const nt = static_cast<std::int64_t>(v.n_train);
    auto labels = torch::from_blob(const_cast<std::uint8_t*>(v.labels), {n}, torch::kUInt8)
                      .to(torch::kInt64);
    auto images = torch::from_blob(const_cast<std::uint8_t*>(v.pixels),
                                   {n, std::int64_t{v.channels}, std::int64_t{v.height},
                                    std::int64_t{v.width}},
                                   torch::kUInt8)
                      .clone();
    decoded d;
    d.fingerprint = v.fingerprint;
    d.classes = std::move(v.classes);
    d.train = {images.narrow(0, 0, nt), labels.narrow(0, 0, nt)};
    d.test = {images.narrow(0, nt, n - nt), labels.narrow(0, nt, n - nt)};
    d.train_names.assign(v.names.begin(), v.names.begin() + nt);
    d.test_names.assign(v.names.begin() + nt, v.names.end());
    return d;
}

//! Where the cache of a folder decoded at (size, channels) lives.
inline std::filesystem::path cache_path(std::filesystem::path const& root, int size,
                                        int channels) {
    return root
           / (".pipeline-cache-s" + std::to_string(size) + "-c" + std::to_string(channels)
              + ".bin");
}

//! Loads `root`: from its cache when the cache is intact and its fingerprint matches the
//! files; otherwise decodes everything and rewrites the cache (atomically). `log` gets one
//! line saying which happened and why.
inline decoded load(std::filesystem::path const& root, ImageFolderParams const& p,
                    std::ostream* log = &std::cerr) {
    auto const files = scan(root, p.classes, p.test_fraction);
    auto const fp = fingerprint(files, root, p.size, p.channels, p.test_fraction);
    auto const cache = cache_path(root, p.size, p.channels);
    std::error_code ec;
    std::string why = "no cache yet";
    if (std::filesystem::exists(cache, ec)) {
        try {
            auto bytes = read_file(cache);
            auto d = parse(bytes.data(), bytes.size(), cache.string());
            if (d.fingerprint == fp && d.classes == files.classes) {
                if (log)
                    *log << "pipeline: " << root.string() << ": read " << d.train.size()
                         << " + " << d.test.size() << " images from the cache\n";
                return d;
            }
            why = "the files changed since the cache was written";
        } catch (error const& e) {
            why = std::string("the cache is unreadable: ") + e.what();
        }
    }
    if (log)
        *log << "pipeline: " << root.string() << ": decoding " << files.train.size()
             << " + " << files.test.size() << " images (" << why << ")\n";
    decoded d;
    d.fingerprint = fp;
    d.classes = files.classes;
    std::int64_t h = p.size;
    std::int64_t w = p.size;
    d.train = decode_all(files.train, p, h, w, root, d.train_names);
    d.test = decode_all(files.test, p, h, w, root, d.test_names);
    auto const bytes = serialize(d);
    try {
        write_file_atomically(
            cache,
            std::string_view(reinterpret_cast<char const*>(bytes.data()), bytes.size()));
    } catch (error const& e) {
        if (log)
            *log << "pipeline: could not write the cache (" << e.what()
                 << "); the next run decodes again\n";
    }
    return d;
}

} // namespace image_folder

namespace image_folder {
//! Where an ImageFolder named `folder` of `classes` classes lives (--data-dir, else
//! $PIPELINE_DATA_DIR/<folder>): a folder of class folders, or of train/ and val/.
inline std::filesystem::path locate(std::optional<std::filesystem::path> const& given,
                                    std::string const& folder, int classes) {
    namespace fs = std::filesystem;
    return find_data_dir(
        given, folder,
        [classes](fs::path const& c) {
            std::error_code ec;
            return fs::is_directory(c, ec) && !class_folders(c).empty()
                   && (fs::is_directory(c / "train", ec)
                       || static_cast<int>(class_folders(c).size()) == classes);
        },
        "a folder of " + std::to_string(classes)
            + " class folders (<root>/<class>/*.jpg, or <root>/train/<class> and "
              "<root>/val/<class>)",
        {}, "pass --data-dir or set PIPELINE_DATA_DIR");
}
} // namespace image_folder

template <fixed_string Name, ImageFolderParams P>
struct dataset_loader<ImageFolder<Name, P>> {
    static std::filesystem::path locate(std::optional<std::filesystem::path> const& given) {
        return image_folder::locate(given, std::string(ImageFolder<Name, P>::folder),
                                    P.classes);
    }

    static dataset_splits load(std::filesystem::path const& dir) {
        auto d = image_folder::load(dir, P);
        return {d.train, d.test, d.classes};
    }
};

} // namespace pipeline
