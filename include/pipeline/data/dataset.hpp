// What every dataset loader returns: uint8 images and int64 labels as whole tensors, and
// the lookup of where a dataset's files live. The loaders specialise `dataset_loader<D>`.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include <pipeline/concepts/dataset.hpp>
#include <pipeline/error.hpp>

namespace pipeline {

//! A labelled image set held as two tensors: `images` uint8 [N, C, H, W] and `labels`
//! int64 [N], on one device.
struct labelled_images {
    torch::Tensor images;
    torch::Tensor labels;

    [[nodiscard]] std::int64_t size() const {
        return labels.defined() ? labels.size(0) : 0;
    }

    //! The same examples on `device` (uint8 stays uint8: a quarter of float's memory).
    [[nodiscard]] labelled_images to(torch::Device const& device) const {
        return {images.to(device), labels.to(device)};
    }

    //! The same examples with the images laid out channels-last (NHWC strides, the same
    //! shape): Execute<ChannelsLast>.
    [[nodiscard]] labelled_images channels_last() const {
        return {images.dim() == 4 ? images.contiguous(torch::MemoryFormat::ChannelsLast)
                                  : images,
                labels};
    }

    //! The examples at `index` (an int64 tensor of positions), in that order.
    [[nodiscard]] labelled_images select(torch::Tensor const& index) const {
        auto i = index.to(labels.device());
        return {images.index_select(0, i), labels.index_select(0, i)};
    }

    //! The first `n` examples.
    [[nodiscard]] labelled_images first(std::int64_t n) const {
        return {images.narrow(0, 0, n), labels.narrow(0, 0, n)};
    }
};

//! A dataset's official splits.
struct dataset_splits {
    labelled_images train;
    labelled_images test;
    //! The classes by name in label order, where only the files know them (an
    //! ImageFolder's folders); empty when the dataset type names them.
    std::vector<std::string> class_names = {};
    //! Each test example's file, relative to the dataset's folder, where files name them
    //! (an ImageFolder): the per-class report names its hardest examples by them. Empty
    //! otherwise (examples are then named by their index).
    std::vector<std::string> test_names = {};
};

//! Where to look for a dataset's files, in order: the `--data-dir` given on the command
//! line (a `subdir` inside it, or the directory itself), else `$PIPELINE_DATA_DIR/<subdir>`
//! and `$PIPELINE_DATA_DIR`, then each system default. Returns the first candidate
//! `holds_data` accepts; otherwise throws one error naming what was expected (`what`),
//! every place it looked, and how to get the data.
inline std::filesystem::path
find_data_dir(std::optional<std::filesystem::path> const& given, std::string const& subdir,
              std::function<bool(std::filesystem::path const&)> const& holds_data,
              std::string const& what,
              std::vector<std::filesystem::path> const& system_defaults,
              std::string const& how_to_get) {
    namespace fs = std::filesystem;
    std::vector<fs::path> candidates;
    if (given) {
        candidates = {*given / subdir, *given};
    } else {
        if (char const* env = std::getenv("PIPELINE_DATA_DIR"); env && *env)
            candidates = {fs::path(env) / subdir, fs::path(env)};
        candidates.insert(candidates.end(), system_defaults.begin(), system_defaults.end());
    }
    std::string looked;
    for (auto const& c : candidates) {
        if (holds_data(c))
            return c;
        looked += (looked.empty() ? "" : ", ") + c.string();
    }
    throw error("data directory for " + subdir,
                what + (looked.empty() ? "" : " (looked in " + looked + ")"),
                looked.empty() ? "no --data-dir and no PIPELINE_DATA_DIR; " + how_to_get
                               : "none; " + how_to_get);
}

//! `find_data_dir` for datasets recognised by one file they always have.
inline std::filesystem::path
find_data_dir(std::optional<std::filesystem::path> const& given, std::string const& subdir,
              std::string const& marker_file,
              std::vector<std::filesystem::path> const& system_defaults,
              std::string const& how_to_get) {
    return find_data_dir(
        given, subdir,
        [&](std::filesystem::path const& dir) {
            std::error_code ec;
            return std::filesystem::exists(dir / marker_file, ec);
        },
        "a directory holding " + marker_file, system_defaults, how_to_get);
}

//! Dataset D's loader as the core calls it: what a dataset of the user's own contributes to
//! the experiment's specification.
template <class D>
struct erased_dataset {
    static std::filesystem::path locate(std::optional<std::filesystem::path> const& given) {
        return dataset_loader<D>::locate(given);
    }
    static dataset_splits load(std::filesystem::path const& dir) {
        return dataset_loader<D>::load(dir);
    }
};

} // namespace pipeline
