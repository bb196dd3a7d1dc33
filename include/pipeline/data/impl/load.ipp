// The definitions of data/load.hpp: compiled once in pipeline::core, or inline with the
// headers when header-only.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <pipeline/data/cifar10.hpp>
#include <pipeline/data/dataset.hpp>
#include <pipeline/data/fashion_mnist.hpp>
#include <pipeline/data/image_folder.hpp>
#include <pipeline/data/load.hpp>
#include <pipeline/dsl/spec.hpp>

namespace pipeline {

PIPELINE_DECL std::filesystem::path
locate_dataset(spec::dataset const& d, std::optional<std::filesystem::path> const& given) {
    switch (d.kind) {
    case spec::dataset_kind::fashion_mnist:
        return dataset_loader<FashionMNIST>::locate(given);
    case spec::dataset_kind::cifar10:
        return dataset_loader<CIFAR10>::locate(given);
    case spec::dataset_kind::image_folder:
        return image_folder::locate(given, std::string(d.folder), d.classes);
    case spec::dataset_kind::custom:
        break;
    }
    return d.locate(given);
}

PIPELINE_DECL dataset_splits load_dataset(spec::dataset const& d,
                                          std::filesystem::path const& dir) {
    switch (d.kind) {
    case spec::dataset_kind::fashion_mnist:
        return dataset_loader<FashionMNIST>::load(dir);
    case spec::dataset_kind::cifar10:
        return dataset_loader<CIFAR10>::load(dir);
    case spec::dataset_kind::image_folder: {
        auto all = image_folder::load(dir, d.folder_params);
        return {all.train, all.test, all.classes};
    }
    case spec::dataset_kind::custom:
        break;
    }
    return d.load(dir);
}

} // namespace pipeline
