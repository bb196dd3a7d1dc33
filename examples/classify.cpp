// The app: classifies image files (any size: JPEG, PNG, BMP, GIF, TGA, PNM) with a model
// trained by examples/cifar10_augment, printing each file's top classes:
//   build/examples/cifar10_augment --data-dir DIR --out-dir runs
//   build/examples/classify runs/<run>/model.safetensors cat.jpg ship.png --top 3
// or writes the per-class report of a labelled folder (DIR/<class>/<image>, folders named
// as CIFAR-10's classes) as the run wrote its own for the test split:
//   build/examples/classify runs/<run> --report DIR [--out-dir OUT]
// (report.md and confusion.svg in OUT, by default <run>/report-<DIR's name>/).
// A run directory stands for its model.safetensors. Images are prepared as the run
// prepared its test images (shorter side to 32, the centre square, the run's statistics).
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <pipeline/app/guarded.hpp>
#include <pipeline/io/atomic_file.hpp>
#include <pipeline/predict.hpp>
#include <pipeline/train/run_context.hpp>

#include "cifar10_experiment.hpp"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
    fs::path model_file;
    std::vector<fs::path> images;
    fs::path report_dir;
    fs::path out_dir;
    int top = 3;
    std::string device = "cpu";
    CLI::App app{"classify images with a model trained by examples/cifar10_augment"};
    app.add_option("model", model_file,
                   "model.safetensors (or best.safetensors, or the run "
                   "directory) written by cifar10_augment")
        ->required();
    app.add_option("images", images, "image files to classify");
    app.add_option("--report", report_dir,
                   "a labelled folder (DIR/<class>/<image>): write its per-class report "
                   "(report.md, confusion.svg) instead");
    app.add_option("--out-dir", out_dir,
                   "where --report writes (default: <run>/report-<DIR's name>)");
    app.add_option("--top", top, "how many classes to print per image")
        ->capture_default_str()
        ->check(CLI::Range(1, 10));
    app.add_option("--device", device, "cpu, cuda, cuda:N or auto")->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    if (images.empty() == report_dir.empty()) {
        std::cerr << "classify: give image files to classify, or --report DIR (not both)\n"
                  << app.help();
        return 2;
    }

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
        if (!report_dir.empty()) {
            auto const p = model.predictions(report_dir);
            auto const report = pipeline::make_class_report(p, model.card().class_names);
            if (out_dir.empty()) {
                auto folder = fs::absolute(report_dir).lexically_normal();
                if (!folder.has_filename()) // DIR/
                    folder = folder.parent_path();
                out_dir =
                    model_file.parent_path() / ("report-" + folder.filename().string());
            }
            fs::create_directories(out_dir);
            auto const title = report_dir.string() + ": " + model.card().experiment;
            pipeline::write_file_atomically(out_dir / "report.md",
                                            pipeline::report_markdown(report, title));
            pipeline::write_file_atomically(out_dir / "confusion.svg",
                                            pipeline::confusion_svg(report, title));
            std::cout << fmt::format(
                "report: {} images of {} | accuracy {:.2f}% | macro F1 {:.4f} -> {}, {}\n",
                report.examples, report_dir.string(), 100.0 * report.accuracy,
                report.macro_f1, (out_dir / "report.md").string(),
                (out_dir / "confusion.svg").string());
            return;
        }
        for (auto const& path : images) {
            std::string line = path.string() + ":";
            for (auto const& p : model.classify(path, top))
                line += fmt::format(" {} {:.1f}%", p.name, 100.0 * p.probability);
            std::cout << line << "\n";
        }
    });
}
