// Pretrained weights into a model: find the file (weights directory, conventional
// names), read it (safetensors or a torchvision `.pth`), match it name for name against
// the model's state dict, and load. Strict by default: every expected tensor present with
// the right shape and no extras, except the replaced head; otherwise one error listing
// missing, unexpected and mis-shaped names. Non-strict loads what matches and says,
// name by name, what stayed freshly initialised.
#pragma once

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <torch/torch.h>

#include <pipeline/error.hpp>
#include <pipeline/host_read.hpp>
#include <pipeline/io/pth.hpp>
#include <pipeline/io/safetensors.hpp>
#include <pipeline/shape_text.hpp>

namespace pipeline {

//! The weights directory: `--weights-dir`, then `$PIPELINE_WEIGHTS_DIR`, then
//! `$XDG_CACHE_HOME/pipeline/weights`, then `~/.cache/pipeline/weights`.
inline std::filesystem::path weights_dir(std::optional<std::filesystem::path> const& flag) {
    if (flag)
        return *flag;
    if (char const* env = std::getenv("PIPELINE_WEIGHTS_DIR"); env && *env)
        return env;
    if (char const* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
        return std::filesystem::path(xdg) / "pipeline" / "weights";
    if (char const* home = std::getenv("HOME"); home && *home)
        return std::filesystem::path(home) / ".cache" / "pipeline" / "weights";
    return std::filesystem::path(".cache") / "pipeline" / "weights";
}

//! A state dict read from a file, with the preprocessing its metadata records.
struct weights_file {
    std::filesystem::path path;
    std::vector<named_tensor> tensors;
    std::map<std::string, std::string> metadata;
    //! Per-channel input statistics the weights expect (from the metadata's "mean" and
    //! "std" when present, otherwise the family's convention).
    std::vector<double> mean, std;
};

namespace detail {
inline std::vector<double> parse_stats(std::string const& text, std::string const& where) {
    std::vector<double> out;
    std::stringstream in(text);
    for (std::string item; std::getline(in, item, ',');) {
        try {
            std::size_t used = 0;
            out.push_back(std::stod(item, &used));
        } catch (std::exception const&) {
            throw error(where, "comma-separated numbers", "'" + text + "'");
        }
    }
    if (out.empty())
        throw error(where, "comma-separated numbers", "'" + text + "'");
    return out;
}
} // namespace detail

//! Reads safetensors or a `.pth` state dict (told apart by their first bytes, not their
//! names). `mean`/`std` are the defaults when the file's metadata has none.
inline weights_file read_weights(std::filesystem::path const& path,
                                 std::array<double, 3> const& mean,
                                 std::array<double, 3> const& std) {
    weights_file w;
    w.path = path;
    // safetensors: an 8-byte length, then '{'. torch.save: a zip ("PK\3\4"), or for
    // legacy files a pickle stream (protocol 2: 0x80 0x02).
    unsigned char magic[9]{};
    std::ifstream(path, std::ios::binary).read(reinterpret_cast<char*>(magic), 9);
    bool const zip = magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4;
    bool const pickle = magic[0] == 0x80 && magic[1] >= 2 && magic[1] <= 5;
    if (magic[8] != '{' && (zip || pickle)) {
        w.tensors = read_pth(path);
    } else {
        auto f = read_safetensors(path);
        w.tensors = std::move(f.tensors);
        w.metadata = std::move(f.metadata);
    }
    w.mean.assign(mean.begin(), mean.end());
    w.std.assign(std.begin(), std.end());
    if (auto it = w.metadata.find("mean"); it != w.metadata.end())
        w.mean = detail::parse_stats(it->second, path.string() + " (metadata 'mean')");
    if (auto it = w.metadata.find("std"); it != w.metadata.end())
        w.std = detail::parse_stats(it->second, path.string() + " (metadata 'std')");
    if (w.mean.size() != w.std.size())
        throw error(path.string() + " (metadata)", "as many 'std' values as 'mean' values",
                    std::to_string(w.mean.size()) + " and " + std::to_string(w.std.size()));
    return w;
}

//! How to match a file against a model.
struct load_spec {
    bool strict = true;
    //! Parameters never loaded (the replaced head), e.g. "fc.".
    std::vector<std::string> skip_prefixes;
    //! The first conv: summed over RGB for 1-channel models (as timm does).
    std::string stem_conv;
    //! Its weights are skipped (a CifarStem replaced it).
    bool stem_replaced = false;
};

//! What a load did, name by name.
struct load_report {
    std::filesystem::path path;
    std::vector<std::string> loaded;
    //! Skipped on purpose: the head, a replaced stem.
    std::vector<std::string> replaced;
    //! The model has them, the file does not.
    std::vector<std::string> missing;
    //! The file has them, the model does not.
    std::vector<std::string> unexpected;
    //! "name (file AxB, model CxD)".
    std::vector<std::string> mismatched;
    //! The stem conv summed over RGB for a 1-channel model.
    bool channels_adapted = false;

    //! What stayed freshly initialised: the replaced names, then the missing and
    //! mis-shaped ones (only non-strict loading leaves any of the latter).
    [[nodiscard]] std::string summary() const {
        auto join = [](std::vector<std::string> const& v) {
            std::string s;
            for (auto const& x : v)
                s += (s.empty() ? "" : ", ") + x;
            return s;
        };
        std::string out = "weights: loaded " + std::to_string(loaded.size())
                          + " tensors from " + path.string() + "\n";
        if (channels_adapted)
            out += "weights: stem conv summed over RGB for 1-channel input\n";
        if (!replaced.empty())
            out += "weights: freshly initialised (replaced): " + join(replaced) + "\n";
        if (!missing.empty())
            out += "weights: freshly initialised (missing from the file): " + join(missing)
                   + "\n";
        if (!mismatched.empty())
            out +=
                "weights: freshly initialised (shape differs): " + join(mismatched) + "\n";
        if (!unexpected.empty())
            out += "weights: ignored (not in the model): " + join(unexpected) + "\n";
        return out;
    }
};

namespace detail {
inline bool starts_with_any(std::string const& name,
                            std::vector<std::string> const& prefixes) {
    for (auto const& p : prefixes)
        if (name.rfind(p, 0) == 0)
            return true;
    return false;
}

//! BatchNorm's step counter: absent from many files (timm's, Keras conversions) and
//! unused in eval and with momentum, so a missing one is never an error.
inline bool optional_buffer(std::string const& name) {
    return name.size() >= 19
           && name.compare(name.size() - 19, 19, "num_batches_tracked") == 0;
}

inline std::string list_or_none(std::vector<std::string> const& v, std::size_t limit = 40) {
    if (v.empty())
        return "none";
    std::string s;
    for (std::size_t i = 0; i < v.size() && i < limit; ++i)
        s += (s.empty() ? "" : ", ") + v[i];
    if (v.size() > limit)
        s += ", ... (" + std::to_string(v.size() - limit) + " more)";
    return s;
}

//! The dtype as the file formats name it: "I32 (Int)" for a safetensors dtype.
inline std::string dtype_text(torch::ScalarType type) {
    std::string torch_name = c10::toString(type);
    if (auto d = safetensors::dtype_by_type(type))
        return std::string(d->name) + " (" + torch_name + ")";
    return torch_name;
}

//! Refuses a tensor that would load only by a silent conversion or load garbage: integer
//! (or bool) data for a floating-point parameter or buffer (a cast hides that the file is
//! not these weights), and NaN or infinite values (a later epoch would blame the learning
//! rate).
inline void check_loadable(std::filesystem::path const& path, std::string const& name,
                           torch::Tensor const& src, torch::Tensor const& dst) {
    auto const where = path.string() + ": tensor '" + name + "'";
    if (dst.is_floating_point() && !src.is_floating_point())
        throw error(
            where,
            "floating-point data (F32, F16, BF16 or F64) for the model's "
                + dtype_text(dst.scalar_type()) + " tensor",
            dtype_text(src.scalar_type())
                + " data (integers are not cast to weights: is this the right file?)");
    if (src.is_floating_point()) {
        auto const bad =
            host_value<std::int64_t>(torch::logical_not(torch::isfinite(src)).sum());
        if (bad > 0) {
            auto const nan = host_value<std::int64_t>(torch::isnan(src).sum());
            throw error(where, "finite values",
                        std::to_string(bad) + " of " + std::to_string(src.numel())
                            + " values non-finite (" + std::to_string(nan) + " NaN, "
                            + std::to_string(bad - nan) + " infinite)");
        }
    }
}
} // namespace detail

//! Loads `w` into `model` as `spec` says and reports what happened. Strict loading throws
//! one pipeline::error listing every missing, unexpected and mis-shaped name, and then
//! the model is left unchanged.
inline load_report load_weights(torch::nn::Module& model, weights_file const& w,
                                load_spec const& spec) {
    load_report r;
    r.path = w.path;
    std::map<std::string, torch::Tensor> target;
    std::vector<std::string> order;
    for (auto const& p : model.named_parameters()) {
        target[p.key()] = p.value();
        order.push_back(p.key());
    }
    for (auto const& b : model.named_buffers()) {
        target[b.key()] = b.value();
        order.push_back(b.key());
    }
    std::map<std::string, torch::Tensor const*> file;
    for (auto const& t : w.tensors)
        file[t.name] = &t.tensor;

    auto skipped = [&](std::string const& name) {
        return detail::starts_with_any(name, spec.skip_prefixes)
               || (spec.stem_replaced && name == spec.stem_conv);
    };
    std::vector<std::pair<torch::Tensor, torch::Tensor>> copies;
    for (auto const& name : order) {
        auto const& dst = target[name];
        if (skipped(name)) {
            r.replaced.push_back(name);
            continue;
        }
        auto it = file.find(name);
        if (it == file.end()) {
            if (!detail::optional_buffer(name))
                r.missing.push_back(name);
            continue;
        }
        torch::Tensor src = *it->second;
        if (name == spec.stem_conv && dst.dim() == 4 && src.dim() == 4 && dst.size(1) == 1
            && src.size(1) == 3 && dst.size(0) == src.size(0) && dst.size(2) == src.size(2)
            && dst.size(3) == src.size(3)) {
            src = src.to(torch::kFloat32).sum(1, /*keepdim=*/true);
            r.channels_adapted = true;
        }
        if (src.sizes() != dst.sizes()) {
            r.mismatched.push_back(name + " (file " + detail::shape_text(src) + ", model "
                                   + detail::shape_text(dst) + ")");
            continue;
        }
        detail::check_loadable(w.path, name, *it->second, dst);
        copies.emplace_back(dst, src);
        r.loaded.push_back(name);
    }
    for (auto const& t : w.tensors)
        if (!target.count(t.name) && !skipped(t.name))
            r.unexpected.push_back(t.name);

    if (spec.strict
        && (!r.missing.empty() || !r.unexpected.empty() || !r.mismatched.empty()))
        throw error(
            w.path.string(),
            "every tensor of the model (head excepted) with its shape, and no others",
            "missing: " + detail::list_or_none(r.missing)
                + "; unexpected: " + detail::list_or_none(r.unexpected)
                + "; mis-shaped: " + detail::list_or_none(r.mismatched)
                + " (a different architecture? use NonStrict to load what matches)");
    torch::NoGradGuard no_grad;
    for (auto& [dst, src] : copies)
        dst.copy_(src.to(dst.device(), dst.scalar_type()));
    return r;
}

//! The first of `names` that exists in `dir`, or an error listing where it looked.
inline std::filesystem::path find_weights(std::filesystem::path const& dir,
                                          std::vector<std::string> const& names,
                                          std::string const& what,
                                          std::string const& how_to_get = "see README") {
    std::string tried;
    for (auto const& n : names) {
        auto p =
            std::filesystem::path(n).is_absolute() ? std::filesystem::path(n) : dir / n;
        std::error_code ec;
        if (std::filesystem::is_regular_file(p, ec))
            return p;
        tried += (tried.empty() ? "" : ", ") + p.string();
    }
    throw error(what, "a weights file (looked in " + tried + ")", "none; " + how_to_get);
}

} // namespace pipeline
