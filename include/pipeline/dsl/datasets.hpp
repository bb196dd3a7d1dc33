// Dataset tags and the options of Load<...>. Everything fixed about a dataset (the number
// of training and test examples, classes, channels, native size, class names,
// normalisation statistics) is known here at compile time, so heads and checks can use it
// without reading a file. Torch-free.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include <pipeline/dsl/fixed_string.hpp>
#include <pipeline/dsl/tags.hpp>

namespace pipeline {

//! Zalando's Fashion-MNIST: 60,000 training and 10,000 test images, 28x28 grey, 10
//! classes. Debian ships it (`apt-get install dataset-fashion-mnist`), which makes it the
//! embedded default of the quick start.
struct FashionMNIST : dataset_tag, named<"FashionMNIST"> {
    static constexpr std::int64_t train_size = 60000;
    static constexpr std::int64_t test_size = 10000;
    static constexpr int classes = 10;
    static constexpr int channels = 1;
    static constexpr int height = 28;
    static constexpr int width = 28;
    static constexpr std::array<std::string_view, classes> class_names{
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
    //! Per-channel statistics of the 60,000 training images, pixels scaled to [0, 1].
    static constexpr std::array<double, channels> mean{0.2860};
    static constexpr std::array<double, channels> std{0.3530};
};

//! CIFAR-10 (Krizhevsky 2009): 50,000 training and 10,000 test images, 32x32 RGB, 10
//! classes, read from the official binary release (`cifar-10-batches-bin/`).
struct CIFAR10 : dataset_tag, named<"CIFAR10"> {
    static constexpr std::int64_t train_size = 50000;
    static constexpr std::int64_t test_size = 10000;
    static constexpr int classes = 10;
    static constexpr int channels = 3;
    static constexpr int height = 32;
    static constexpr int width = 32;
    static constexpr std::array<std::string_view, classes> class_names{
        "airplane", "automobile", "bird",  "cat",  "deer",
        "dog",      "frog",       "horse", "ship", "truck"};
    //! Per-channel statistics of the 50,000 training images, pixels scaled to [0, 1].
    static constexpr std::array<double, channels> mean{0.4914, 0.4822, 0.4465};
    static constexpr std::array<double, channels> std{0.2470, 0.2435, 0.2616};
};

//! What an ImageFolder's type fixes: the class count (checked against the folders), the
//! side the images are resized to (0 keeps their own size, which must then be the same
//! for all), the channels (3: RGB, 1: grey), and for a folder without train/ and val/
//! subfolders, the fraction of each class held out as the test split.
struct ImageFolderParams {
    int classes = 0;
    int size = 0;
    int channels = 3;
    double test_fraction = 0.2;
    //! Skip files that do not decode (reported on stderr) instead of stopping.
    bool skip_unreadable = false;
    //! The most pixels an image's header may claim (width x height, before resizing): a
    //! larger one is refused before it is decoded, so a small hostile file cannot claim
    //! gigabytes (a 633-byte JPEG may say 26000x26000). 120 megapixels (about 360 MB as
    //! RGB) admits the largest common camera photos.
    std::int64_t max_pixels = 120'000'000;
};

//! A user's own photos: `<root>/<class>/*.{jpg,png,...}`, or `<root>/train/<class>/...` and
//! `<root>/val/<class>/...`, where <root> is `--data-dir` or `$PIPELINE_DATA_DIR/<Name>`.
//! Decoded (JPEG by libjpeg-turbo, PNG, BMP, GIF, TGA, PNM by stb_image), resized (shorter
//! side to `size`, then the centre square) and cached next to the data, so the second run
//! does not decode again.
//!
//!     Load<ImageFolder<"flowers", {.classes = 5, .size = 64}>, Split<0.1>>
template <fixed_string Name, ImageFolderParams P>
struct ImageFolder : dataset_tag {
    static_assert(P.classes >= 2,
                  "pipeline: ImageFolder<name, {.classes}> needs the number "
                  "of class folders (at least 2)");
    static_assert(P.size >= 0 && P.size <= 4096,
                  "pipeline: ImageFolder<name, {.size}> is the side images are resized to "
                  "(1..4096), or 0 to keep their size");
    static_assert(P.channels == 1 || P.channels == 3,
                  "pipeline: ImageFolder<name, {.channels}> must be 1 (grey) or 3 (RGB)");
    static_assert(P.test_fraction > 0.0 && P.test_fraction < 1.0,
                  "pipeline: ImageFolder<name, {.test_fraction}> needs 0 < f < 1");
    static_assert(P.max_pixels > 0,
                  "pipeline: ImageFolder<name, {.max_pixels}> is the most pixels an image "
                  "may have (width x height); it must be positive");
    static constexpr ImageFolderParams params = P;
    static constexpr std::string_view folder = Name.view();
    //! Known only once the folder is read (the size rules then run before any model work:
    //! dsl/run_checks.hpp).
    static constexpr std::int64_t train_size = 0;
    static constexpr std::int64_t test_size = 0;
    static constexpr int classes = P.classes;
    static constexpr int channels = P.channels;
    //! 0 when the images keep their own size (known only once loaded).
    static constexpr int height = P.size;
    static constexpr int width = P.size;
    //! Photos: ImageNet's statistics (grey: their average), unless Normalize<...> says
    //! otherwise.
    static constexpr std::array<double, channels> mean = [] {
        if constexpr (P.channels == 3)
            return std::array<double, channels>{0.485, 0.456, 0.406};
        else
            return std::array<double, channels>{0.449};
    }();
    static constexpr std::array<double, channels> std = [] {
        if constexpr (P.channels == 3)
            return std::array<double, channels>{0.229, 0.224, 0.225};
        else
            return std::array<double, channels>{0.226};
    }();
    static std::string name() {
        constexpr ImageFolderParams d{};
        auto fields = detail::field_printer{}("classes", P.classes, d.classes)(
                          "size", P.size, d.size)("channels", P.channels, d.channels)(
                          "test_fraction", P.test_fraction, d.test_fraction)(
                          "skip_unreadable", P.skip_unreadable, d.skip_unreadable)(
                          "max_pixels", static_cast<long long>(P.max_pixels),
                          static_cast<long long>(d.max_pixels))
                          .braced();
        return "ImageFolder<\"" + std::string(folder) + "\"" + (fields.empty() ? "" : ", ")
               + fields + ">";
    }
};

//! Load<D, Subset<N>>: train on the first N training examples (after nothing else: the
//! order of the files). Part of the experiment, so it lives in the type; `--limit` on the
//! command line overrides it for smoke runs.
template <std::int64_t N>
struct Subset : load_option_tag {
    static_assert(N > 0, "pipeline: Subset<N> needs N > 0 training examples");
    static constexpr std::int64_t count = N;
    static std::string name() { return "Subset<" + std::to_string(N) + ">"; }
};

//! Load<D, Split<f>>: hold out the fraction f of the training examples (a seeded random
//! draw) as the validation set, so model selection never looks at the test set. Without
//! it, the per-epoch "val" columns are measured on the test set and the run says so.
template <double Fraction>
struct Split : load_option_tag {
    static_assert(Fraction > 0.0 && Fraction < 1.0,
                  "pipeline: Split<f> needs 0 < f < 1 (the fraction of training examples "
                  "held out for validation)");
    static constexpr double fraction = Fraction;
    static std::string name() { return "Split<" + detail::format_number(Fraction) + ">"; }
};

template <class T>
inline constexpr bool is_subset = false;
template <std::int64_t N>
inline constexpr bool is_subset<Subset<N>> = true;

template <class T>
inline constexpr bool is_split = false;
template <double F>
inline constexpr bool is_split<Split<F>> = true;

//! The count of a Subset<N> option, 0 for any other option.
template <class T>
inline constexpr std::int64_t option_count = 0;
template <std::int64_t N>
inline constexpr std::int64_t option_count<Subset<N>> = N;

//! The fraction of a Split<f> option, 0 for any other option.
template <class T>
inline constexpr double option_fraction = 0.0;
template <double F>
inline constexpr double option_fraction<Split<F>> = F;

} // namespace pipeline
