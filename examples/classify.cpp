// The app: classifies image files (any size: JPEG, PNG, BMP, GIF, TGA, PNM) with a model
// trained by examples/cifar10_augment, printing each file's top classes:
//   build/examples/cifar10_augment --data-dir DIR --out-dir runs
//   build/examples/classify runs/<run>/model.safetensors cat.jpg ship.png --top 3
// A run directory stands for its model.safetensors. Images are prepared as the run
// prepared its test images (shorter side to 32, the centre square, the run's statistics).
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <pipeline/app/guarded.hpp>
#include <pipeline/predict.hpp>
#include <pipeline/train/run_context.hpp>

#include "cifar10_experiment.hpp"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
    fs::path model_file;
    std::vector<fs::path> images;
    int top = 3;
    std::string device = "cpu";
    CLI::App app{"classify images with a model trained by examples/cifar10_augment"};
    app.add_option("model", model_file,
                   "model.safetensors (or best.safetensors, or the run "
                   "directory) written by cifar10_augment")
        ->required();
    app.add_option("images", images, "image files to classify")->required();
    app.add_option("--top", top, "how many classes to print per image")
        ->capture_default_str()
        ->check(CLI::Range(1, 10));
    app.add_option("--device", device, "cpu, cuda, cuda:N or auto")->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    return pipeline::guarded([&] {
        if (fs::is_directory(model_file))
            model_file /= "model.safetensors";
        // [docs:classifier]
        pipeline::classifier const model(examples::cifar10_augment, model_file,
                                         pipeline::select_device(device));
        // [docs:end]
        auto const& results = model.card().results;
        if (auto it = results.find("test_acc"); it != results.end())
            std::cout << fmt::format("model: {} (test accuracy {:.2f}%)\n",
                                     model_file.string(), 100.0 * std::stod(it->second));
        for (auto const& path : images) {
            std::string line = path.string() + ":";
            for (auto const& p : model.classify(path, top))
                line += fmt::format(" {} {:.1f}%", p.name, 100.0 * p.probability);
            std::cout << line << "\n";
        }
    });
}
