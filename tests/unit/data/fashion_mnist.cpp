// data/fashion_mnist: the real files from Debian's dataset-fashion-mnist, and the error
// for a directory without them.
#include <filesystem>
#include <string>

#include <doctest/doctest.h>
#include <torch/torch.h>

#include <pipeline/data/fashion_mnist.hpp>

using namespace pipeline;

TEST_CASE(
    "data/fashion_mnist: a missing directory says where it looked and what to install") {
    auto const nowhere = std::filesystem::temp_directory_path() / "pipeline-no-such-dir";
    try {
        dataset_loader<FashionMNIST>::locate(nowhere);
        FAIL("locate() should have thrown");
    } catch (pipeline::error const& e) {
        std::string msg = e.what();
        CHECK(msg.find(nowhere.string()) != std::string::npos);
        CHECK(msg.find("apt-get install dataset-fashion-mnist") != std::string::npos);
    }
}

TEST_CASE("data/fashion_mnist: the Debian package's files") {
    std::filesystem::path dir;
    try {
        dir = dataset_loader<FashionMNIST>::locate(std::nullopt);
    } catch (pipeline::error const& e) {
        FAIL("Fashion-MNIST is installed by scripts/install-deps.sh: " << e.what());
    }
    auto splits = dataset_loader<FashionMNIST>::load(dir);
    CHECK(splits.train.images.sizes() == torch::IntArrayRef{60000, 1, 28, 28});
    CHECK(splits.test.images.sizes() == torch::IntArrayRef{10000, 1, 28, 28});
    // Balanced classes: 6,000 training and 1,000 test images each.
    auto train_counts = torch::bincount(splits.train.labels);
    auto test_counts = torch::bincount(splits.test.labels);
    CHECK(train_counts.eq(6000).all().item<bool>());
    CHECK(test_counts.eq(1000).all().item<bool>());
    // The per-channel statistics in the dataset's traits match the data.
    auto x = splits.train.images.to(torch::kFloat64) / 255.0;
    CHECK(x.mean().item<double>() == doctest::Approx(FashionMNIST::mean[0]).epsilon(1e-3));
    CHECK(x.std().item<double>() == doctest::Approx(FashionMNIST::std[0]).epsilon(1e-3));
}
