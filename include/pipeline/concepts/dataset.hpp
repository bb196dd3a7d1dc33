// Extension point: datasets. Specification and concepts, in the manner of dlib's
// *_abstract.h headers. Torch-free.
//
// A dataset is two pieces:
//
//  1. A tag (type layer, dsl/datasets.hpp): an empty type deriving from `dataset_tag` and
//     `named<"Name">` (or with its own `static std::string name()`) that fixes, at compile
//     time, what heads and rules need without reading a file:
//       train_size, test_size      std::int64_t; the official splits' example counts, 0
//                                  when known only once loaded (the size rules then run
//                                  at run time, dsl/run_checks.hpp)
//       classes, channels          ints; the head's outputs, the stem's inputs
//       height, width              the images' side, 0 when known only once loaded
//       class_names                std::array<std::string_view, classes>, where fixed
//                                  (an ImageFolder's come from its folders at run time)
//       mean, std                  std::array<double, channels>, pixels scaled to [0, 1]
//
//  2. A loader (tensor layer, data/<name>.hpp), a specialisation of `dataset_loader<D>`:
//       static std::filesystem::path locate(std::optional<std::filesystem::path> given);
//           where the files are: `given` (--data-dir), else $PIPELINE_DATA_DIR, else the
//           system location; one pipeline::error naming every place looked and how to
//           get the data otherwise (data/dataset.hpp's find_data_dir does this).
//       static dataset_splits load(std::filesystem::path const& dir);
//           the official train and test splits as whole tensors: images uint8
//           [N, channels, H, W], labels int64 [N] in [0, classes); every malformed input
//           one pipeline::error naming the file and the byte offset.
//
// `Load<D>` checks `dataset_spec<D>`; fit checks `loadable_dataset<D>`.
#pragma once

#include <concepts>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <pipeline/dsl/tags.hpp>

namespace pipeline {

//! The loader of dataset D: specialised in the dataset's data/ header.
template <class D>
struct dataset_loader;

//! What a loader returns (data/dataset.hpp), and `locate`/`load` of dataset D's loader as
//! the core calls them, defined there for every D: FashionMNIST, CIFAR10 and ImageFolder
//! are numbers in the experiment's specification (dsl/spec.hpp); a dataset of your own
//! enters it through these (`#include <pipeline/extend.hpp>` where you specialise
//! dataset_loader<D>).
struct dataset_splits;
template <class D>
struct erased_dataset;

//! A complete dataset tag.
template <class D>
concept dataset_spec = is_dataset<D> && requires {
    { D::name() } -> std::convertible_to<std::string>;
    { D::train_size } -> std::convertible_to<std::int64_t>;
    { D::test_size } -> std::convertible_to<std::int64_t>;
    { D::classes } -> std::convertible_to<int>;
    { D::channels } -> std::convertible_to<int>;
    { D::height } -> std::convertible_to<int>;
    { D::width } -> std::convertible_to<int>;
    { D::mean[0] } -> std::convertible_to<double>;
    { D::std[0] } -> std::convertible_to<double>;
};

//! A dataset whose loader is visible (include its data/ header).
template <class D>
concept loadable_dataset = dataset_spec<D> && requires(
    std::optional<std::filesystem::path> const& given, std::filesystem::path const& dir) {
    { dataset_loader<D>::locate(given) } -> std::convertible_to<std::filesystem::path>;
    dataset_loader<D>::load(dir);
};

} // namespace pipeline
