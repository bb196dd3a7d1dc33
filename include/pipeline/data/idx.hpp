// Reader for the IDX format of MNIST and Fashion-MNIST into tensors (the format itself,
// torch-free, is in idx_format.hpp). Every malformed input is one pipeline::error naming
// the file and what was wrong.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>

#include <torch/torch.h>

#include <pipeline/data/idx_format.hpp>
#include <pipeline/error.hpp>

namespace pipeline::idx {

//! Reads an IDX label file: int64 [N]. Labels must lie in [0, classes).
inline torch::Tensor read_labels(std::filesystem::path const& path, int classes) {
    auto p = read_label_bytes(path, classes);
    return torch::from_blob(p.bytes.data(), {static_cast<std::int64_t>(p.dims[0])},
                            torch::kUInt8)
        .to(torch::kInt64);
}

//! Reads an IDX image file: uint8 [N, 1, H, W]. `height`/`width` are the expected sizes
//! (0 accepts any).
inline torch::Tensor read_images(std::filesystem::path const& path, int height = 0,
                                 int width = 0) {
    auto p = read_image_bytes(path, height, width);
    return torch::from_blob(p.bytes.data(),
                            {static_cast<std::int64_t>(p.dims[0]), 1,
                             static_cast<std::int64_t>(p.dims[1]),
                             static_cast<std::int64_t>(p.dims[2])},
                            torch::kUInt8)
        .clone();
}

//! Reads a matching pair of image and label files, checking that the counts agree.
inline std::pair<torch::Tensor, torch::Tensor>
read_pair(std::filesystem::path const& images_path,
          std::filesystem::path const& labels_path, int classes, int height, int width) {
    auto images = read_images(images_path, height, width);
    auto labels = read_labels(labels_path, classes);
    if (images.size(0) != labels.size(0))
        throw error(labels_path.string(),
                    std::to_string(images.size(0)) + " labels (one per image in "
                        + images_path.filename().string() + ")",
                    std::to_string(labels.size(0)));
    return {images, labels};
}

} // namespace pipeline::idx
