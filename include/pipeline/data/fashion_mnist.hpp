// Load<FashionMNIST>: the four IDX files Debian's dataset-fashion-mnist installs in
// /usr/share/datasets/fashion-mnist (or the same files anywhere --data-dir points).
#pragma once

#include <filesystem>
#include <optional>

#include <pipeline/data/dataset.hpp>
#include <pipeline/data/idx.hpp>
#include <pipeline/dsl/datasets.hpp>

namespace pipeline {

template <>
struct dataset_loader<FashionMNIST> {
    static std::filesystem::path locate(std::optional<std::filesystem::path> const& given) {
        return find_data_dir(given, "fashion-mnist", "t10k-labels-idx1-ubyte.gz",
                             {"/usr/share/datasets/fashion-mnist"},
                             "install it with `apt-get install dataset-fashion-mnist` or "
                             "pass --data-dir with the four *-ubyte.gz files");
    }

    static dataset_splits load(std::filesystem::path const& dir) {
        using D = FashionMNIST;
        auto [train_x, train_y] = idx::read_pair(dir / "train-images-idx3-ubyte.gz",
                                                 dir / "train-labels-idx1-ubyte.gz",
                                                 D::classes, D::height, D::width);
        auto [test_x, test_y] = idx::read_pair(dir / "t10k-images-idx3-ubyte.gz",
                                               dir / "t10k-labels-idx1-ubyte.gz",
                                               D::classes, D::height, D::width);
        return {{train_x, train_y}, {test_x, test_y}};
    }
};

} // namespace pipeline
