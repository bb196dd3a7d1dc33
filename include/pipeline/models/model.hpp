// From a Model stage of the experiment's specification to a ready module: the architecture
// shaped by the options (CifarStem, HeadDropout<p>), the head sized for the dataset, and
// the weights of Pretrained<...> loaded (strict unless NonStrict), with a report of what
// stayed fresh.
#pragma once

#include <array>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include <pipeline/config.hpp>
#include <pipeline/data/batches.hpp>
#include <pipeline/dsl/spec.hpp>
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

//! Every file `Pretrained<ImageNet>` of backbone `b` looks for, most preferred first: the
//! conventional names in the weights directory (--weights-dir, $PIPELINE_WEIGHTS_DIR, the
//! pipeline cache); torchvision's download cache ($TORCH_HOME/hub/checkpoints, TORCH_HOME
//! defaulting to ~/.cache/torch), which holds what
//! `torchvision.models.resnet18(weights="DEFAULT")` ever downloaded; and the Hugging Face
//! hub cache ($HF_HUB_CACHE, or $HF_HOME/hub, HF_HOME defaulting to
//! ~/.cache/huggingface), where timm keeps `model.safetensors` of the repos whose names
//! match ours (e.g. timm/resnet18.tv_in1k).
inline std::vector<std::filesystem::path>
imagenet_weight_candidates(spec::backbone const& b,
                           std::optional<std::filesystem::path> const& weights_dir_flag) {
    namespace fs = std::filesystem;
    std::vector<fs::path> out;
    auto const dir = weights_dir(weights_dir_flag);
    for (auto const& name : b.imagenet_files())
        out.push_back(dir / name);
    auto const torch_hub = detail::env_or("TORCH_HOME", detail::cache_home() / "torch")
                           / "hub" / "checkpoints";
    for (auto const& name : b.torchvision_files())
        out.push_back(torch_hub / name);
    auto const hf_hub = detail::env_or(
        "HF_HUB_CACHE",
        detail::env_or("HF_HOME", detail::cache_home() / "huggingface") / "hub");
    for (auto const& repo : b.hf_repos()) {
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

//! `imagenet_weight_candidates` of backbone B.
template <class B>
std::vector<std::filesystem::path>
imagenet_weight_candidates(std::optional<std::filesystem::path> const& weights_dir_flag) {
    return imagenet_weight_candidates(detail::backbone_record<B>(), weights_dir_flag);
}

//! Reads the weights the Model stage `m` asks for (none without Pretrained<...>): for
//! `Pretrained<ImageNet>` the first of imagenet_weight_candidates that exists, for
//! `Pretrained<File<"...">>` that path (absolute, or inside the weights directory). When
//! nothing is found, the error names every place looked and how to get the weights.
PIPELINE_DECL std::optional<weights_file>
pretrained_weights(spec::model const& m,
                   std::optional<std::filesystem::path> const& weights_dir_flag);

//! The input statistics for `channels`-channel data: the weights' own (averaged over RGB
//! for 1-channel data, matching the summed stem filters).
PIPELINE_DECL channel_statistics input_statistics(weights_file const& w, int channels);

namespace detail {
//! The module configuration of Model stage `m` for `in_channels` x `classes` data.
inline model_config model_config_of(spec::model const& m, std::int64_t in_channels,
                                    std::int64_t classes) {
    model_config c;
    c.in_channels = in_channels;
    c.num_classes = classes;
    c.cifar_stem = m.cifar_stem;
    c.head_dropout = m.head_dropout;
    return c;
}

//! Loads `weights` into `module` as Model stage `m` says (strict unless NonStrict, the
//! replaced head skipped, the stem adapted); the report goes to `log`.
inline void load_model_weights(torch::nn::Module& module, spec::model const& m,
                               weights_file const& weights, std::ostream* log) {
    load_spec spec;
    spec.strict = m.strict;
    spec.skip_prefixes = {std::string(m.backbone.replaced_head)};
    spec.stem_conv = std::string(m.backbone.stem_conv);
    spec.stem_replaced = m.cifar_stem;
    auto const report = load_weights(module, weights, spec);
    if (log)
        *log << report.summary() << std::flush;
}
} // namespace detail

//! Builds the module of the Model stage `m` for `in_channels` x `classes` data and loads
//! `weights` (if any) into it; the load report goes to `log`.
PIPELINE_DECL std::unique_ptr<backbone_network>
make_model(spec::model const& m, std::int64_t in_channels, std::int64_t classes,
           weights_file const* weights, std::ostream* log);

//! The weights the Model stage type M (`decltype(Model<...>)`) asks for.
template <class M>
std::optional<weights_file>
pretrained_weights(std::optional<std::filesystem::path> const& weights_dir_flag) {
    return pretrained_weights(model_spec_of<M>, weights_dir_flag);
}

//! `input_statistics` for `Channels`-channel data.
template <std::size_t Channels>
channel_statistics input_statistics(weights_file const& w) {
    return input_statistics(w, static_cast<int>(Channels));
}

//! The module of the Model stage type M as its own type (`models::ResNet`, ...), for
//! `in_channels` x `classes` data, with `weights` (if any) loaded into it.
template <class M>
auto make_model(std::int64_t in_channels, std::int64_t classes, weights_file const* weights,
                std::ostream* log) {
    auto const& m = model_spec_of<M>;
    auto model = make_backbone<typename std::remove_cv_t<M>::backbone>(
        detail::model_config_of(m, in_channels, classes));
    if (weights)
        detail::load_model_weights(*model, m, *weights, log);
    return model;
}

} // namespace pipeline

#if defined(PIPELINE_HEADER_ONLY)
#include <pipeline/models/impl/model.ipp>
#endif
