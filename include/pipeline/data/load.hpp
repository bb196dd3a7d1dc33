// Reading the dataset of an experiment's specification: the built-in datasets
// (FashionMNIST, CIFAR10, ImageFolder) by their records, a dataset of the user's own
// through the loader its record carries (`erased_dataset<D>`). Compiled once in the core
// (data/impl/load.ipp).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <pipeline/config.hpp>
#include <pipeline/data/dataset.hpp>
#include <pipeline/dsl/spec.hpp>

namespace pipeline {

//! Where the files of dataset `d` are: `given` (--data-dir), else $PIPELINE_DATA_DIR, else
//! the system location; one pipeline::error naming every place looked otherwise.
PIPELINE_DECL std::filesystem::path
locate_dataset(spec::dataset const& d, std::optional<std::filesystem::path> const& given);

//! The official train and test splits of dataset `d` from `dir`.
PIPELINE_DECL dataset_splits load_dataset(spec::dataset const& d,
                                          std::filesystem::path const& dir);

} // namespace pipeline

#if defined(PIPELINE_HEADER_ONLY)
#include <pipeline/data/impl/load.ipp>
#endif
