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
#include <range/v3/view/transform.hpp>
#include <torch/torch.h>

#include <pipeline/dsl/fixed_string.hpp>
#include <pipeline/io/safetensors.hpp>
#include <pipeline/text.hpp>
#include <pipeline/train/checkpoint.hpp>

namespace pipeline {

//! What the metadata of an exported model says about the run that trained it.
struct export_facts {
    std::string experiment;
    int classes = 0;
    double test_loss = 0.0;
    double test_acc = 0.0;
    std::int64_t test_examples = 0;
};

//! Writes `model` to `path` as a plain state dict, with `facts` and the input statistics
//! the model expects (`statistics`: per-channel mean and std) in the metadata.
template <std::size_t C>
void export_model(
    std::filesystem::path const& path, torch::nn::Module const& model,
    export_facts const& facts,
    std::pair<std::array<double, C>, std::array<double, C>> const& statistics) {
    auto const csv = [](std::array<double, C> const& values) {
        return join(values | ranges::views::transform([](double v) {
                        return detail::format_number(v);
                    }),
                    ",");
    };
    std::vector<named_tensor> tensors;
    detail::add_module_tensors(tensors, "", model);
    write_safetensors(path, tensors,
                      {{"format", "pt"},
                       {"experiment", facts.experiment},
                       {"classes", std::to_string(facts.classes)},
                       {"mean", csv(statistics.first)},
                       {"std", csv(statistics.second)},
                       {"test_loss", fmt::format("{}", facts.test_loss)},
                       {"test_acc", fmt::format("{}", facts.test_acc)},
                       {"test_examples", std::to_string(facts.test_examples)}});
}

} // namespace pipeline
