// The trained model as a file of its own: a plain state dict with the reference
// implementation's names (torchvision's, timm's), readable by `Pretrained<File<"...">>`
// and by Python's `safetensors.torch.load_file`, with what produced it in the metadata.
#pragma once

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <range/v3/view/transform.hpp>
#include <torch/torch.h>

#include <pipeline/dsl/fixed_string.hpp>
#include <pipeline/error.hpp>
#include <pipeline/io/json.hpp>
#include <pipeline/io/safetensors.hpp>
#include <pipeline/record/checkpoint.hpp>
#include <pipeline/text.hpp>

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

    //! The card in an exported model's `metadata` (as `metadata()` writes it). `where`
    //! names the file in errors: one pipeline::error for a missing or malformed entry.
    [[nodiscard]] static model_card from_metadata(std::map<std::string, std::string> meta,
                                                  std::string const& where) {
        auto take = [&](std::string const& key) {
            auto it = meta.find(key);
            if (it == meta.end())
                throw error(where + " (metadata '" + key + "')",
                            "a model exported by pipeline (model.safetensors or "
                            "best.safetensors of a run)",
                            "no '" + key + "' entry");
            auto value = std::move(it->second);
            meta.erase(it);
            return value;
        };
        auto numbers = [&](std::string const& key) {
            std::vector<double> out;
            auto const text = take(key);
            std::size_t begin = 0;
            while (begin <= text.size()) {
                auto const end = std::min(text.find(',', begin), text.size());
                auto const item = text.substr(begin, end - begin);
                double v = 0;
                auto const [last, ec] =
                    std::from_chars(item.data(), item.data() + item.size(), v);
                if (item.empty() || ec != std::errc{} || last != item.data() + item.size()
                    || !std::isfinite(v))
                    throw error(where + " (metadata '" + key + "')",
                                "comma-separated finite numbers", "'" + text + "'");
                out.push_back(v);
                begin = end + 1;
            }
            return out;
        };
        model_card card;
        card.experiment = take("experiment");
        // An array of strings is 2 deep: deeper is refused before dump() could walk it.
        auto const names =
            parse_json(take("class_names"), where + " (metadata 'class_names')", 2,
                       "a JSON array of class names");
        if (!names.is_array() || names.empty()
            || !std::all_of(names.begin(), names.end(),
                            [](auto const& n) { return n.is_string(); }))
            throw error(where + " (metadata 'class_names')", "a JSON array of class names",
                        names.dump());
        card.class_names = names.get<std::vector<std::string>>();
        card.mean = numbers("mean");
        card.std = numbers("std");
        if (card.mean.size() != card.std.size()
            || std::any_of(card.std.begin(), card.std.end(),
                           [](double v) { return v <= 0; }))
            throw error(where + " (metadata 'mean', 'std')",
                        "as many means as positive standard deviations",
                        std::to_string(card.mean.size()) + " means, "
                            + std::to_string(card.std.size()) + " deviations");
        meta.erase("format");
        meta.erase("classes");
        card.results = std::move(meta);
        return card;
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
