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

namespace builtin {

template <spec::dataset_kind K>
std::filesystem::path locate(spec::dataset const& d,
                             std::optional<std::filesystem::path> const& given) {
    if constexpr (K == spec::dataset_kind::fashion_mnist)
        return dataset_loader<FashionMNIST>::locate(given);
    else if constexpr (K == spec::dataset_kind::cifar10)
        return dataset_loader<CIFAR10>::locate(given);
    else if constexpr (K == spec::dataset_kind::image_folder)
        return image_folder::locate(given, std::string(d.folder), d.classes);
    else
        return d.locate(given);
}

template <spec::dataset_kind K>
dataset_splits load(spec::dataset const& d, std::filesystem::path const& dir) {
    if constexpr (K == spec::dataset_kind::fashion_mnist)
        return dataset_loader<FashionMNIST>::load(dir);
    else if constexpr (K == spec::dataset_kind::cifar10)
        return dataset_loader<CIFAR10>::load(dir);
    else if constexpr (K == spec::dataset_kind::image_folder) {
        auto all = image_folder::load(dir, d.folder_params);
        return {all.train, all.test, all.classes, std::move(all.test_names)};
    } else
        return d.load(dir);
}

} // namespace builtin

PIPELINE_DECL std::filesystem::path
locate_dataset(spec::dataset const& d, std::optional<std::filesystem::path> const& given) {
    using enum spec::dataset_kind;
    if (d.kind == custom)
        return d.locate(given);
#if defined(PIPELINE_HEADER_ONLY)
    return detail::named_code(d.builtin_locate, "its dataset")(d, given);
#else
    switch (d.kind) {
    case fashion_mnist:
        return builtin::locate<fashion_mnist>(d, given);
    case cifar10:
        return builtin::locate<cifar10>(d, given);
    case image_folder:
    case custom:
        break;
    }
    return builtin::locate<image_folder>(d, given);
#endif
}

PIPELINE_DECL dataset_splits load_dataset(spec::dataset const& d,
                                          std::filesystem::path const& dir) {
    using enum spec::dataset_kind;
    if (d.kind == custom)
        return d.load(dir);
#if defined(PIPELINE_HEADER_ONLY)
    return detail::named_code(d.builtin_load, "its dataset")(d, dir);
#else
    switch (d.kind) {
    case fashion_mnist:
        return builtin::load<fashion_mnist>(d, dir);
    case cifar10:
        return builtin::load<cifar10>(d, dir);
    case image_folder:
    case custom:
        break;
    }
    return builtin::load<image_folder>(d, dir);
#endif
}

} // namespace pipeline
