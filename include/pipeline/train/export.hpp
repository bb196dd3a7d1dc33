// The trained model as a file of its own: a plain state dict with the reference
// implementation's names (torchvision's, timm's), readable by `Pretrained<File<"...">>`
// and by Python's `safetensors.torch.load_file`, with what produced it in the metadata.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <range/v3/view/transform.hpp>
#include <torch/torch.h>

#include <pipeline/dsl/fixed_string.hpp>
#include <pipeline/io/safetensors.hpp>
#include <pipeline/text.hpp>
#include <pipeline/train/checkpoint.hpp>

namespace pipeline {

//! What an exported model's metadata says about it: the experiment that trained it, its
//! classes by name (in output order), the per-channel input statistics it expects, and
//! results (test metrics, or the epoch and validation accuracy of a best checkpoint).
struct model_card {
    std::string experiment;
    std::vector<std::string> class_names;
    std::vector<double> mean;
    std::vector<double> std;
    std::map<std::string, std::string> results;

    //! The metadata map written into the safetensors file.
    [[nodiscard]] std::map<std::string, std::string> metadata() const {
        auto const csv = [](std::vector<double> const& values) {
            return join(values | ranges::views::transform([](double v) {
                            return detail::format_number(v);
                        }),
                        ",");
        };
        std::map<std::string, std::string> out = results;
        out.insert({{"format", "pt"},
                    {"experiment", experiment},
                    {"classes", std::to_string(class_names.size())},
                    {"class_names", nlohmann::json(class_names).dump()},
                    {"mean", csv(mean)},
                    {"std", csv(std)}});
        return out;
    }
};

//! Writes `model` to `path` (atomically) as a plain state dict with `card` as metadata.
inline void export_model(std::filesystem::path const& path, torch::nn::Module const& model,
                         model_card const& card) {
    std::vector<named_tensor> tensors;
    detail::add_module_tensors(tensors, "", model);
    write_safetensors(path, tensors, card.metadata());
}

} // namespace pipeline
