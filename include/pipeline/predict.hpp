// Using a trained model: `classifier` loads the `model.safetensors` (or `best.safetensors`)
// a run of pipeline P wrote and classifies image files of any size, prepared as the run
// prepared its evaluation images (decoded, shorter side resized to the dataset's side and
// the centre square kept, normalised with the statistics stored in the model's metadata,
// then the Augment stages' deterministic part: Resize, centre crops).
//
//     classifier const model(experiment, "runs/.../model.safetensors");
//     for (auto const& p : model.classify("cat.jpg", 3))
//         fmt::print("{} {:.1%}\n", p.name, p.probability);
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include <pipeline/augment/augmenter.hpp>
#include <pipeline/data/image_decode.hpp>
#include <pipeline/dsl.hpp>
#include <pipeline/dsl/experiment.hpp>
#include <pipeline/error.hpp>
#include <pipeline/models/model.hpp>
#include <pipeline/models/pretrained.hpp>
#include <pipeline/train/export.hpp>

namespace pipeline {

//! One class of a classified image: its label (output index), name and probability.
struct prediction {
    std::int64_t label = 0;
    std::string name;
    double probability = 0.0;
};

//! A trained model of pipeline `P`, ready to classify images.
template <class P>
class classifier {
    using R = resolved_t<P>;
    using X = experiment_types<R>;
    using D = typename X::dataset;
    static_assert(D::height == D::width,
                  "pipeline: classifier prepares square inputs; this dataset's are not");

public:
    //! Loads `model_file`, written by a run of pipeline `P` (its metadata names the
    //! experiment, the class names and the input statistics), onto `device`. Throws one
    //! pipeline::error when the file is missing or unreadable, was not exported by
    //! pipeline, or was trained by another pipeline (the error names both).
    classifier(P, std::filesystem::path const& model_file,
               torch::Device device = torch::kCPU)
        : device_(device)
        , model_(nullptr) {
        std::error_code ec;
        if (!std::filesystem::is_regular_file(model_file, ec))
            throw error(model_file.string(),
                        "a trained model (model.safetensors or best.safetensors in a run "
                        "directory)",
                        std::filesystem::exists(model_file, ec) ? "not a regular file"
                                                                : "no such file");
        auto weights = read_weights(model_file, {0, 0, 0}, {1, 1, 1});
        card_ = model_card::from_metadata(weights.metadata, model_file.string());
        auto const expected = describe(R{});
        if (card_.experiment != expected)
            throw error(model_file.string(),
                        "a model trained by this program's pipeline: " + expected,
                        "one trained by " + card_.experiment
                            + " (classify with the pipeline that trained it)");
        if (static_cast<int>(card_.class_names.size()) != D::classes
            || static_cast<int>(card_.mean.size()) != D::channels)
            throw error(model_file.string() + " (metadata)",
                        std::to_string(D::classes) + " class names and "
                            + std::to_string(D::channels) + " channel statistics",
                        std::to_string(card_.class_names.size()) + " and "
                            + std::to_string(card_.mean.size()));
        model_ = make_model<typename X::model>(D::channels, D::classes, nullptr, nullptr);
        load_weights(*model_, weights, load_spec{});
        model_->to(device_);
        model_->eval();
        auto const opts = torch::TensorOptions().dtype(torch::kFloat64);
        auto const mean = torch::tensor(card_.mean, opts).view({1, -1, 1, 1});
        auto const stdev = torch::tensor(card_.std, opts).view({1, -1, 1, 1});
        scale_ = (1.0 / (255.0 * stdev)).to(device_, torch::kFloat32);
        shift_ = (-mean / stdev).to(device_, torch::kFloat32);
    }

    //! What the model file says about itself: experiment, class names, statistics and the
    //! results of its run.
    [[nodiscard]] model_card const& card() const { return card_; }

    //! The image file `path` as the run's evaluation saw its images: uint8 [C, H, W] at the
    //! dataset's side (an image of another size or shape: shorter side resized, centre
    //! square kept), before normalisation. Throws one pipeline::error for a missing,
    //! unreadable or oversized file.
    [[nodiscard]] torch::Tensor read_image(std::filesystem::path const& path) const {
        std::ifstream in(path, std::ios::binary);
        std::error_code ec;
        if (!in || std::filesystem::is_directory(path, ec))
            throw error(path.string(), "an image file (JPEG, PNG, BMP, GIF, TGA or PNM)",
                        std::filesystem::exists(path, ec) ? "a file that cannot be read"
                                                          : "no such file");
        std::vector<std::uint8_t> const bytes{std::istreambuf_iterator<char>(in), {}};
        ImageFolderParams params;
        params.classes = D::classes;
        params.channels = D::channels;
        params.size = D::height;
        std::string why;
        auto img = image_folder::decode_image(std::span(bytes), params, path.string(), why);
        if (!img)
            throw error(path.string(), "an image file (JPEG, PNG, BMP, GIF, TGA or PNM)",
                        why);
        return torch::from_blob(img->hwc.data(), {img->height, img->width, img->channels},
                                torch::kUInt8)
            .permute({2, 0, 1})
            .clone();
    }

    //! Class probabilities of a batch of images, uint8 [N, C, H, W] as `read_image` gives
    //! them: float [N, classes] on the CPU.
    [[nodiscard]] torch::Tensor probabilities(torch::Tensor const& images_u8) const {
        if (images_u8.dim() != 4 || images_u8.size(1) != D::channels
            || images_u8.scalar_type() != torch::kUInt8)
            throw error("classifier::probabilities",
                        "uint8 images [N, " + std::to_string(D::channels) + ", H, W]",
                        detail::shape_text(images_u8) + " "
                            + std::string(c10::toString(images_u8.scalar_type())));
        torch::NoGradGuard no_grad;
        auto x = images_u8.to(device_).to(torch::kFloat32).mul_(scale_).add_(shift_);
        x = augmenter<R>::eval(x);
        return torch::softmax(model_->forward(x).to(torch::kFloat32), 1).cpu();
    }

    //! The `top_k` most probable classes of the image file `path`, most probable first.
    [[nodiscard]] std::vector<prediction> classify(std::filesystem::path const& path,
                                                   int top_k = 5) const {
        return top(probabilities(read_image(path).unsqueeze(0))[0], top_k);
    }

    //! The `top_k` most probable classes of each image file in `paths`, read and
    //! classified as one batch.
    [[nodiscard]] std::vector<std::vector<prediction>>
    classify(std::vector<std::filesystem::path> const& paths, int top_k = 5) const {
        std::vector<torch::Tensor> images;
        for (auto const& p : paths)
            images.push_back(read_image(p));
        std::vector<std::vector<prediction>> out;
        if (images.empty())
            return out;
        auto const probs = probabilities(torch::stack(images));
        for (std::int64_t i = 0; i < probs.size(0); ++i)
            out.push_back(top(probs[i], top_k));
        return out;
    }

private:
    [[nodiscard]] std::vector<prediction> top(torch::Tensor const& probs, int k) const {
        if (k < 1)
            throw error("top-k", "at least 1 class", std::to_string(k));
        auto const [values, labels] = probs.topk(std::min(k, D::classes));
        std::vector<prediction> out;
        for (std::int64_t j = 0; j < values.size(0); ++j) {
            auto const label = labels[j].template item<std::int64_t>();
            out.push_back({label, card_.class_names[static_cast<std::size_t>(label)],
                           values[j].template item<double>()});
        }
        return out;
    }

    torch::Device device_;
    model_card card_;
    // Forward is not const in LibTorch; classifying changes nothing in the model.
    mutable backbone_module_t<typename X::backbone> model_;
    torch::Tensor scale_;
    torch::Tensor shift_;
};

} // namespace pipeline
