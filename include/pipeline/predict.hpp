// Using a trained model: `classifier` loads the `model.safetensors` (or `best.safetensors`)
// a run of an experiment wrote and classifies image files of any size, prepared as the
// run prepared its evaluation images (decoded, shorter side resized to the dataset's side
// and the centre square kept, normalised with the statistics stored in the model's
// metadata, then the Augment stages' deterministic part: Resize, centre crops). Compiled
// once in the core (impl/predict.ipp).
//
//     classifier const model(experiment, "runs/.../model.safetensors");
//     for (auto const& p : model.classify("cat.jpg", 3))
//         fmt::print("{} {:.1%}\n", p.name, p.probability);
//     auto const report = make_class_report(model.predictions("val"),
//     model.card().class_names);
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include <pipeline/config.hpp>
#include <pipeline/dsl/rules.hpp>
#include <pipeline/dsl/spec.hpp>
#include <pipeline/record/class_report.hpp>
#include <pipeline/record/export.hpp>

namespace pipeline {

class backbone_network;

//! One class of a classified image: its label (output index), name and probability.
struct prediction {
    std::int64_t label = 0;
    std::string name;
    double probability = 0.0;
};

//! A trained model of an experiment, ready to classify images.
class classifier {
public:
    //! Loads `model_file`, written by a run of experiment `e` (its metadata names the
    //! experiment, the class names and the input statistics), onto `device`. Throws one
    //! pipeline::error when the file is missing or unreadable, was not exported by
    //! pipeline, or was trained by another experiment (the error names both). `e` must
    //! outlive the classifier.
    PIPELINE_DECL classifier(spec::experiment const& e,
                             std::filesystem::path const& model_file,
                             torch::Device device = torch::kCPU);

    //! The same for pipeline `p`.
    template <class... S>
    classifier(Pipeline<S...>, std::filesystem::path const& model_file,
               torch::Device device = torch::kCPU)
        : classifier(checked_spec<Pipeline<S...>>(), model_file, device) {}

    //! What the model file says about itself: experiment, class names, statistics and the
    //! results of its run.
    [[nodiscard]] model_card const& card() const { return card_; }

    //! The image file `path` as the run's evaluation saw its images: uint8 [C, H, W] at the
    //! dataset's side (an image of another size or shape: shorter side resized, centre
    //! square kept), before normalisation. Throws one pipeline::error for a missing,
    //! unreadable or oversized file.
    [[nodiscard]] PIPELINE_DECL torch::Tensor
    read_image(std::filesystem::path const& path) const;

    //! Class probabilities of a batch of images, uint8 [N, C, H, W] as `read_image` gives
    //! them: float [N, classes] on the CPU.
    [[nodiscard]] PIPELINE_DECL torch::Tensor
    probabilities(torch::Tensor const& images_u8) const;

    //! The `top_k` most probable classes of the image file `path`, most probable first.
    [[nodiscard]] PIPELINE_DECL std::vector<prediction>
    classify(std::filesystem::path const& path, int top_k = 5) const;

    //! The `top_k` most probable classes of each image file in `paths`, read and
    //! classified as one batch.
    [[nodiscard]] PIPELINE_DECL std::vector<std::vector<prediction>>
    classify(std::vector<std::filesystem::path> const& paths, int top_k = 5) const;

    //! The model's predictions on a labelled folder (`dir`/<class>/<image>, each class
    //! folder named as one of the model's classes; a subset of the classes will do), read
    //! and classified `batch_size` images at a time: per image its class, the predicted
    //! class, its cross-entropy and its file relative to `dir`, in sorted order. With
    //! make_class_report it is the run's per-class report on other images. Throws one
    //! pipeline::error for a missing folder, a folder that names no class of the model, a
    //! class folder without images, or an unreadable image.
    [[nodiscard]] PIPELINE_DECL prediction_set predictions(std::filesystem::path const& dir,
                                                           int batch_size = 256) const;

private:
    //! The model's logits (float [N, classes], on the model's device) of uint8 images.
    [[nodiscard]] PIPELINE_DECL torch::Tensor logits(torch::Tensor const& images_u8) const;

    template <class P>
    static spec::experiment const& checked_spec() {
        static_assert(validate(P{}));
        return spec_of<P>;
    }

    [[nodiscard]] PIPELINE_DECL std::vector<prediction> top(torch::Tensor const& probs,
                                                            int k) const;

    spec::experiment const* e_;
    torch::Device device_;
    model_card card_;
    // Forward is not const in LibTorch; classifying changes nothing in the model.
    std::shared_ptr<backbone_network> model_;
    torch::Tensor scale_;
    torch::Tensor shift_;
};

} // namespace pipeline

#if defined(PIPELINE_HEADER_ONLY)
#include <pipeline/impl/predict.ipp>
#endif
