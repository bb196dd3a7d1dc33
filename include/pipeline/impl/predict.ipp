// The definition of `classifier` (predict.hpp): compiled once in pipeline::core, or inline
// with the headers when header-only.
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
#include <pipeline/data/image_folder.hpp>
#include <pipeline/error.hpp>
#include <pipeline/host_read.hpp>
#include <pipeline/models/model.hpp>
#include <pipeline/models/pretrained.hpp>
#include <pipeline/predict.hpp>
#include <pipeline/record/export.hpp>
#include <pipeline/shape_text.hpp>

namespace pipeline {

PIPELINE_DECL classifier::classifier(spec::experiment const& e,
                                     std::filesystem::path const& model_file,
                                     torch::Device device)
    : e_(&e)
    , device_(device) {
    auto const& d = e.data;
    if (d.height != d.width)
        throw error("classifier for " + e.describe(), "a dataset of square images",
                    std::to_string(d.height) + "x" + std::to_string(d.width));
    std::error_code ec;
    if (!std::filesystem::is_regular_file(model_file, ec))
        throw error(model_file.string(),
                    "a trained model (model.safetensors or best.safetensors in a run "
                    "directory)",
                    std::filesystem::exists(model_file, ec) ? "not a regular file"
                                                            : "no such file");
    auto weights = read_weights(model_file, {0, 0, 0}, {1, 1, 1});
    card_ = model_card::from_metadata(weights.metadata, model_file.string());
    auto const expected = e.describe();
    if (card_.experiment != expected)
        throw error(model_file.string(),
                    "a model trained by this program's pipeline: " + expected,
                    "one trained by " + card_.experiment
                        + " (classify with the pipeline that trained it)");
    if (static_cast<int>(card_.class_names.size()) != d.classes
        || static_cast<int>(card_.mean.size()) != d.channels)
        throw error(model_file.string() + " (metadata)",
                    std::to_string(d.classes) + " class names and "
                        + std::to_string(d.channels) + " channel statistics",
                    std::to_string(card_.class_names.size()) + " and "
                        + std::to_string(card_.mean.size()));
    model_ = make_model(e.model, d.channels, d.classes, nullptr, nullptr);
    load_weights(model_->module(), weights, load_spec{});
    model_->module().to(device_);
    model_->module().eval();
    auto const opts = torch::TensorOptions().dtype(torch::kFloat64);
    auto const mean = torch::tensor(card_.mean, opts).view({1, -1, 1, 1});
    auto const stdev = torch::tensor(card_.std, opts).view({1, -1, 1, 1});
    scale_ = (1.0 / (255.0 * stdev)).to(device_, torch::kFloat32);
    shift_ = (-mean / stdev).to(device_, torch::kFloat32);
}

PIPELINE_DECL torch::Tensor
classifier::read_image(std::filesystem::path const& path) const {
    auto const& d = e_->data;
    std::ifstream in(path, std::ios::binary);
    std::error_code ec;
    if (!in || std::filesystem::is_directory(path, ec))
        throw error(path.string(), "an image file (JPEG, PNG, BMP, GIF, TGA or PNM)",
                    std::filesystem::exists(path, ec) ? "a file that cannot be read"
                                                      : "no such file");
    std::string why;
    auto const bytes = image_folder::read_image_file(path, why);
    if (!bytes)
        throw error(path.string(), "an image file (JPEG, PNG, BMP, GIF, TGA or PNM)", why);
    ImageFolderParams params;
    params.classes = d.classes;
    params.channels = d.channels;
    params.size = d.height;
    auto img = image_folder::decode_image(std::span(*bytes), params, path.string(), why);
    if (!img)
        throw error(path.string(), "an image file (JPEG, PNG, BMP, GIF, TGA or PNM)", why);
    return torch::from_blob(img->hwc.data(), {img->height, img->width, img->channels},
                            torch::kUInt8)
        .permute({2, 0, 1})
        .clone();
}

PIPELINE_DECL torch::Tensor classifier::logits(torch::Tensor const& images_u8) const {
    auto const channels = e_->data.channels;
    if (images_u8.dim() != 4 || images_u8.size(1) != channels
        || images_u8.scalar_type() != torch::kUInt8)
        throw error("classifier::probabilities",
                    "uint8 images [N, " + std::to_string(channels) + ", H, W]",
                    detail::shape_text(images_u8) + " "
                        + std::string(c10::toString(images_u8.scalar_type())));
    torch::NoGradGuard no_grad;
    auto x = images_u8.to(device_).to(torch::kFloat32).mul_(scale_).add_(shift_);
    if (auto const view = evaluation_view(e_->augmentations))
        x = view(x);
    return model_->forward(x).to(torch::kFloat32);
}

PIPELINE_DECL torch::Tensor
classifier::probabilities(torch::Tensor const& images_u8) const {
    return to_host(torch::softmax(logits(images_u8), 1));
}

PIPELINE_DECL prediction_set classifier::predictions(std::filesystem::path const& dir,
                                                     int batch_size) const {
    namespace fs = std::filesystem;
    if (batch_size < 1)
        throw error("classifier::predictions", "a batch size of at least 1",
                    std::to_string(batch_size));
    auto const& names = card_.class_names;
    auto const expected = "a folder of class folders named as the model's classes ("
                          + image_folder::joined(names) + ")";
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw error(dir.string(), expected,
                    fs::exists(dir, ec) ? "not a directory" : "no such directory");
    auto const folders = image_folder::class_folders(dir);
    if (folders.empty())
        throw error(dir.string(), expected, "no sub-folders");
    std::vector<std::pair<fs::path, std::int64_t>> files;
    for (auto const& folder : folders) {
        auto const it = std::find(names.begin(), names.end(), folder);
        if (it == names.end())
            throw error((dir / folder).string(),
                        "a folder named as one of the model's classes ("
                            + image_folder::joined(names) + ")",
                        "'" + folder + "'");
        for (auto const& f : image_folder::images_in(dir / folder))
            files.emplace_back(f, it - names.begin());
    }
    prediction_set out;
    auto const step = static_cast<std::size_t>(batch_size);
    for (std::size_t at = 0; at < files.size(); at += step) {
        auto const end = std::min(files.size(), at + step);
        std::vector<torch::Tensor> images;
        std::vector<std::int64_t> labels;
        for (auto i = at; i < end; ++i) {
            images.push_back(read_image(files[i].first));
            labels.push_back(files[i].second);
            out.labels.push_back(static_cast<int>(files[i].second));
            out.names.push_back(files[i].first.lexically_relative(dir).generic_string());
        }
        torch::NoGradGuard no_grad;
        auto const z = logits(torch::stack(images));
        // The per-example cross-entropy as the run's test pass computes it (unsmoothed).
        auto const loss = torch::nn::functional::cross_entropy(
            z, torch::tensor(labels, torch::kInt64).to(device_),
            torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
        auto const losses = to_host(loss, torch::kFloat64);
        auto const predicted = to_host(z.argmax(1), torch::kInt32);
        out.losses.insert(out.losses.end(), losses.data_ptr<double>(),
                          losses.data_ptr<double>() + losses.numel());
        out.predicted.insert(out.predicted.end(), predicted.data_ptr<int>(),
                             predicted.data_ptr<int>() + predicted.numel());
    }
    return out;
}

PIPELINE_DECL std::vector<prediction>
classifier::classify(std::filesystem::path const& path, int top_k) const {
    return top(probabilities(read_image(path).unsqueeze(0))[0], top_k);
}

PIPELINE_DECL std::vector<std::vector<prediction>>
classifier::classify(std::vector<std::filesystem::path> const& paths, int top_k) const {
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

PIPELINE_DECL std::vector<prediction> classifier::top(torch::Tensor const& probs,
                                                      int k) const {
    if (k < 1)
        throw error("top-k", "at least 1 class", std::to_string(k));
    auto const [top_values, top_labels] = probs.topk(std::min(k, e_->data.classes));
    auto const values = to_host(top_values, torch::kFloat64);
    auto const labels = to_host(top_labels, torch::kInt64);
    std::vector<prediction> out;
    for (std::int64_t j = 0; j < values.size(0); ++j) {
        auto const label = labels.data_ptr<std::int64_t>()[j];
        out.push_back({label, card_.class_names[static_cast<std::size_t>(label)],
                       values.data_ptr<double>()[j]});
    }
    return out;
}

} // namespace pipeline
