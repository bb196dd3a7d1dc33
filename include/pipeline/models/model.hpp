// From a Model<B, Options...> stage to a ready module: the architecture shaped by the
// options (CifarStem, HeadDropout<p>), the head sized for the dataset, and the weights of
// Pretrained<...> loaded (strict unless NonStrict), with a report of what stayed fresh.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <type_traits>
#include <utility>

#include <torch/torch.h>

#include <pipeline/dsl/model_options.hpp>
#include <pipeline/error.hpp>
#include <pipeline/models/backbone.hpp>
#include <pipeline/models/pretrained.hpp>

namespace pipeline {

//! Reads the weights a Model stage asks for (none without Pretrained<...>): the file
//! `Pretrained<ImageNet>` names by convention, or `Pretrained<File<"...">>`'s path.
template <class ModelStage>
std::optional<weights_file>
pretrained_weights(std::optional<std::filesystem::path> const& weights_dir_flag) {
    using B = typename ModelStage::backbone;
    using S = typename ModelStage::settings;
    if constexpr (!S::pretrained) {
        return std::nullopt;
    } else {
        auto const dir = weights_dir(weights_dir_flag);
        std::vector<std::string> names;
        if constexpr (std::is_same_v<typename S::source, ImageNet>)
            names = B::imagenet_files();
        else
            names = {std::string(S::source::path)};
        auto const path = find_weights(
            dir, names, "Pretrained<" + S::source::name() + "> for " + B::name());
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
