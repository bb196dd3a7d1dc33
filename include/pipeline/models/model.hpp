// From a Model<B, Options...> stage to a ready module: the architecture shaped by the
// options (CifarStem, HeadDropout<p>), the head sized for the dataset, and the weights of
// Pretrained<...> loaded (strict unless NonStrict), with a report of what stayed fresh.
#pragma once

#include <array>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include <pipeline/dsl/model_options.hpp>
#include <pipeline/error.hpp>
#include <pipeline/models/backbone.hpp>
#include <pipeline/models/pretrained.hpp>

namespace pipeline {

namespace detail {
//! An environment variable's value, or `fallback` when it is unset or empty.
inline std::filesystem::path env_or(char const* name, std::filesystem::path fallback) {
    if (char const* v = std::getenv(name); v && *v)
        return v;
    return fallback;
}

//! The user's cache directory: $XDG_CACHE_HOME, else ~/.cache.
inline std::filesystem::path cache_home() {
    char const* home = std::getenv("HOME");
    return env_or("XDG_CACHE_HOME",
                  std::filesystem::path(home && *home ? home : ".") / ".cache");
}
} // namespace detail

//! Every file `Pretrained<ImageNet>` looks for, most preferred first: the conventional
//! names in the weights directory (--weights-dir, $PIPELINE_WEIGHTS_DIR, the pipeline
//! cache); torchvision's download cache ($TORCH_HOME/hub/checkpoints, TORCH_HOME defaulting
//! to
//! ~/.cache/torch), which holds what `torchvision.models.resnet18(weights="DEFAULT")` ever
//! downloaded; and the Hugging Face hub cache ($HF_HUB_CACHE, or $HF_HOME/hub, HF_HOME
//! defaulting to ~/.cache/huggingface), where timm keeps `model.safetensors` of the repos
//! whose names match ours (e.g. timm/resnet18.tv_in1k).
template <class B>
std::vector<std::filesystem::path>
imagenet_weight_candidates(std::optional<std::filesystem::path> const& weights_dir_flag) {
    namespace fs = std::filesystem;
    std::vector<fs::path> out;
    auto const dir = weights_dir(weights_dir_flag);
    for (auto const& name : B::imagenet_files())
        out.push_back(dir / name);
    auto const torch_hub = detail::env_or("TORCH_HOME", detail::cache_home() / "torch")
                           / "hub" / "checkpoints";
    for (auto const& name : B::torchvision_files())
        out.push_back(torch_hub / name);
    auto const hf_hub = detail::env_or(
        "HF_HUB_CACHE",
        detail::env_or("HF_HOME", detail::cache_home() / "huggingface") / "hub");
    for (auto const& repo : B::hf_repos()) {
        // models--timm--resnet18.tv_in1k/snapshots/<revision>/model.safetensors
        auto name = "models--" + repo;
        for (auto pos = name.find('/'); pos != std::string::npos; pos = name.find('/'))
            name.replace(pos, 1, "--");
        auto const snapshots = hf_hub / name / "snapshots";
        std::error_code ec;
        if (fs::is_directory(snapshots, ec))
            for (auto const& e : fs::directory_iterator(snapshots, ec))
                out.push_back(e.path() / "model.safetensors");
        else
            out.push_back(snapshots / "<revision>" / "model.safetensors");
    }
    return out;
}

//! Reads the weights a Model stage asks for (none without Pretrained<...>): for
//! `Pretrained<ImageNet>` the first of imagenet_weight_candidates that exists, for
//! `Pretrained<File<"...">>` that path (absolute, or inside the weights directory). When
//! nothing is found, the error names every place looked and how to get the weights.
template <class ModelStage>
std::optional<weights_file>
pretrained_weights(std::optional<std::filesystem::path> const& weights_dir_flag) {
    using B = typename ModelStage::backbone;
    using S = typename ModelStage::settings;
    if constexpr (!S::pretrained) {
        return std::nullopt;
    } else {
        std::vector<std::string> names;
        if constexpr (std::is_same_v<typename S::source, ImageNet>) {
            for (auto const& p : imagenet_weight_candidates<B>(weights_dir_flag))
                names.push_back(p.string());
        } else {
            names = {std::string(S::source::path)};
        }
        auto const path = find_weights(
            weights_dir(weights_dir_flag), names,
            "Pretrained<" + S::source::name() + "> for " + B::name(),
            std::is_same_v<typename S::source, ImageNet>
                ? std::string(S::implied_pretrained
                                  ? "Frozen<...> implies Pretrained<ImageNet> (add "
                                    "FreezeRandomInit to freeze random weights on "
                                    "purpose); "
                                  : "")
                      + "get them with scripts/fetch-weights.sh "
                      + std::string(B::weights_name)
                      + " (needs a network), or put a file there yourself (README, "
                        "\"Pretrained weights\")"
                : std::string("check the path"));
        return read_weights(path, B::statistics.mean, B::statistics.std);
    }
}

//! The input statistics for `Channels`-channel data: the weights' own (averaged over RGB
//! for 1-channel data, matching the summed stem filters), else the dataset's.
template <std::size_t Channels>
std::pair<std::array<double, Channels>, std::array<double, Channels>>
input_statistics(weights_file const& w) {
    std::array<double, Channels> mean{}, std{};
    auto const n = w.mean.size();
    if (n == Channels) {
        std::copy(w.mean.begin(), w.mean.end(), mean.begin());
        std::copy(w.std.begin(), w.std.end(), std.begin());
    } else if (Channels == 1) {
        for (std::size_t i = 0; i < n; ++i) {
            mean[0] += w.mean[i] / static_cast<double>(n);
            std[0] += w.std[i] / static_cast<double>(n);
        }
    } else {
        throw error(w.path.string() + " (metadata)",
                    std::to_string(Channels) + " per-channel statistics",
                    std::to_string(n));
    }
    return {mean, std};
}

//! Builds the module of `ModelStage` for `in_channels` x `classes` data and loads
//! `weights` (if any) into it; the load report goes to `log`.
template <class ModelStage>
auto make_model(std::int64_t in_channels, std::int64_t classes, weights_file const* weights,
                std::ostream* log) {
    using B = typename ModelStage::backbone;
    using S = typename ModelStage::settings;
    model_config c;
    c.in_channels = in_channels;
    c.num_classes = classes;
    c.cifar_stem = S::cifar_stem;
    c.head_dropout = S::has_head_dropout ? S::head_dropout : -1.0;
    auto model = make_backbone<B>(c);
    if (weights) {
        load_spec spec;
        spec.strict = S::strict;
        spec.skip_prefixes = {std::string(B::replaced_head)};
        spec.stem_conv = std::string(B::stem_conv);
        spec.stem_replaced = S::cifar_stem;
        auto const report = load_weights(*model, *weights, spec);
        if (log)
            *log << report.summary() << std::flush;
    }
    return model;
}

} // namespace pipeline
