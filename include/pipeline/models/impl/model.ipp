// The definitions of models/model.hpp's weights and model building: compiled once in
// pipeline::core, or inline with the headers when header-only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <torch/torch.h>

#include <pipeline/error.hpp>
#include <pipeline/models/backbone.hpp>
#include <pipeline/models/model.hpp>
#include <pipeline/models/pretrained.hpp>

namespace pipeline {

namespace builtin {
template <spec::weights_source S>
std::optional<weights_file>
pretrained_weights(spec::model const& m,
                   std::optional<std::filesystem::path> const& weights_dir_flag) {
    if constexpr (S == spec::weights_source::none)
        return std::nullopt;
    else {
        auto const& b = m.backbone;
        constexpr bool imagenet = S == spec::weights_source::imagenet;
        std::vector<std::string> names;
        if constexpr (imagenet)
            for (auto const& p : imagenet_weight_candidates(b, weights_dir_flag))
                names.push_back(p.string());
        else
            names = {std::string(m.weights_file)};
        // The ImageNet candidates are whole paths already (the weights directory joined
        // with each file name, then the hubs): joined with the directory again, a relative
        // --weights-dir (../shared/data) was looked for inside itself.
        auto const path = find_weights(
            imagenet ? std::filesystem::path{} : weights_dir(weights_dir_flag), names,
            "Pretrained<" + m.weights_name() + "> for " + b.name(),
            imagenet ? std::string(m.implied_pretrained
                                       ? "Frozen<...> implies Pretrained<ImageNet> (add "
                                         "FreezeRandomInit to freeze random weights on "
                                         "purpose); "
                                       : "")
                           + "get them with scripts/fetch-weights.sh "
                           + std::string(b.weights_name)
                           + " (needs a network), or put a file there yourself (README, "
                             "\"Pretrained weights\")"
                     : std::string("check the path"));
        return read_weights(path, b.statistics.mean, b.statistics.std);
    }
}
} // namespace builtin

PIPELINE_DECL std::optional<weights_file>
pretrained_weights(spec::model const& m,
                   std::optional<std::filesystem::path> const& weights_dir_flag) {
    using enum spec::weights_source;
    if (m.weights == none)
        return std::nullopt;
#if defined(PIPELINE_HEADER_ONLY)
    return detail::named_code(m.builtin_weights,
                              "its Pretrained weights")(m, weights_dir_flag);
#else
    if (m.weights == imagenet)
        return builtin::pretrained_weights<imagenet>(m, weights_dir_flag);
    return builtin::pretrained_weights<file>(m, weights_dir_flag);
#endif
}

PIPELINE_DECL channel_statistics input_statistics(weights_file const& w, int channels) {
    auto const n = w.mean.size();
    if (n == static_cast<std::size_t>(channels))
        return {w.mean, w.std};
    if (channels == 1) {
        channel_statistics grey{{0.0}, {0.0}};
        for (std::size_t i = 0; i < n; ++i) {
            grey.mean[0] += w.mean[i] / static_cast<double>(n);
            grey.std[0] += w.std[i] / static_cast<double>(n);
        }
        return grey;
    }
    throw error(w.path.string() + " (metadata)",
                std::to_string(channels) + " per-channel statistics", std::to_string(n));
}

PIPELINE_DECL std::unique_ptr<backbone_network>
make_model(spec::model const& m, std::int64_t in_channels, std::int64_t classes,
           weights_file const* weights, std::ostream* log) {
    auto model = make_network(m.backbone, detail::model_config_of(m, in_channels, classes));
    if (weights)
        detail::load_model_weights(model->module(), m, *weights, log);
    return model;
}

} // namespace pipeline
