// Checkpoints for resuming a run: after every epoch, one safetensors file in the run's own
// directory holds the model, the optimizer's per-parameter state (by parameter name), the
// weight average, the random streams and, in its metadata, where the run stands and the
// epochs it has finished. A resumed run writes a new run directory; it never touches the
// one it resumes from.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <pipeline/compat.hpp>
#include <pipeline/error.hpp>
#include <pipeline/io/safetensors.hpp>
#include <pipeline/record/records.hpp>

namespace pipeline {

//! The file name of a run's checkpoint inside its directory.
inline constexpr char const* checkpoint_file_name = "checkpoint.safetensors";

//! The checkpoint format this library writes and reads: 2 since epoch records carry the
//! clean training metrics and every random stream is kept by name.
inline constexpr char const* checkpoint_format = "pipeline-checkpoint-2";

//! Where a run stands at the end of an epoch, besides its tensors.
struct checkpoint_info {
    std::string experiment;
    std::uint64_t seed = 0;
    int epoch = 0;         //!< epochs finished
    int epochs = 0;        //!< epochs of the whole run
    std::int64_t step = 0; //!< optimizer steps taken
    std::int64_t train_examples = 0;
    //! The finished epochs.
    std::vector<epoch_record> history;
};

namespace detail {

//! Tensors of `module` under `prefix` + their state-dict names.
inline void add_module_tensors(std::vector<named_tensor>& out, std::string const& prefix,
                               torch::nn::Module const& module) {
    for (auto const& p : module.named_parameters())
        out.push_back({prefix + p.key(), p.value().detach()});
    for (auto const& b : module.named_buffers())
        out.push_back({prefix + b.key(), b.value().detach()});
}

inline void load_module_tensors(safetensors_file const& file, std::string const& prefix,
                                torch::nn::Module& module, std::string const& where) {
    torch::NoGradGuard no_grad;
    auto load = [&](std::string const& name, torch::Tensor& target) {
        auto const* t = file.find(prefix + name);
        if (!t)
            throw error(where, "tensor '" + prefix + name + "'", "none");
        if (!t->sizes().equals(target.sizes()) || t->scalar_type() != target.scalar_type())
            throw error(where + ": tensor '" + prefix + name + "'",
                        "the model's shape and dtype", "another shape or dtype");
        target.copy_(*t);
    };
    for (auto& p : module.named_parameters())
        load(p.key(), p.value());
    for (auto& b : module.named_buffers())
        load(b.key(), b.value());
}

//! The optimizer's per-parameter state by parameter name: SGD's momentum buffer, AdamW's
//! moments and step count. Parameters that never took a step (frozen so far) have none.
inline void add_optimizer_state(std::vector<named_tensor>& out,
                                torch::optim::Optimizer const& opt,
                                torch::nn::Module const& module) {
    auto const& state = opt.state();
    for (auto const& p : module.named_parameters()) {
        auto it = state.find(compat::optimizer_state_key(p.value()));
        if (it == state.end())
            continue;
        auto const name = "optim." + p.key() + ".";
        if (auto* s = dynamic_cast<torch::optim::SGDParamState const*>(it->second.get())) {
            if (s->momentum_buffer().defined())
                out.push_back({name + "momentum_buffer", s->momentum_buffer()});
        } else if (auto* a = dynamic_cast<torch::optim::AdamWParamState const*>(
                       it->second.get())) {
            out.push_back({name + "step", torch::tensor(a->step(), torch::kInt64)});
            out.push_back({name + "exp_avg", a->exp_avg()});
            out.push_back({name + "exp_avg_sq", a->exp_avg_sq()});
            if (a->max_exp_avg_sq().defined())
                out.push_back({name + "max_exp_avg_sq", a->max_exp_avg_sq()});
        } else {
            throw error("checkpoint", "SGD or AdamW optimizer state",
                        "an optimizer state this library cannot save");
        }
    }
}

inline void load_optimizer_state(safetensors_file const& file, torch::optim::Optimizer& opt,
                                 torch::nn::Module const& module,
                                 std::string const& where) {
    auto& state = opt.state();
    state.clear();
    bool const adamw = dynamic_cast<torch::optim::AdamW*>(&opt) != nullptr;
    for (auto const& p : module.named_parameters()) {
        auto const name = "optim." + p.key() + ".";
        auto const device = p.value().device();
        auto get = [&](std::string const& field) -> torch::Tensor {
            auto const* t = file.find(name + field);
            return t ? t->to(device).clone() : torch::Tensor();
        };
        auto const key = compat::optimizer_state_key(p.value());
        if (!adamw) {
            auto buf = get("momentum_buffer");
            if (!buf.defined())
                continue;
            auto s = std::make_unique<torch::optim::SGDParamState>();
            s->momentum_buffer(buf);
            state[key] = std::move(s);
        } else {
            auto step = get("step");
            if (!step.defined())
                continue;
            auto exp_avg = get("exp_avg"), exp_avg_sq = get("exp_avg_sq");
            if (!exp_avg.defined() || !exp_avg_sq.defined())
                throw error(where, "AdamW moments of " + p.key(), "a step count only");
            auto s = std::make_unique<torch::optim::AdamWParamState>();
            s->step(step.item<std::int64_t>());
            s->exp_avg(exp_avg);
            s->exp_avg_sq(exp_avg_sq);
            if (auto m = get("max_exp_avg_sq"); m.defined())
                s->max_exp_avg_sq(m);
            state[key] = std::move(s);
        }
    }
}

} // namespace detail

//! A random stream a run draws from, by name: the checkpoint keeps its state as the
//! tensor `rng.<name>`, so a resumed run draws exactly what the uninterrupted one would.
struct random_stream {
    std::string name;
    torch::Generator generator; // a handle: the run's own generator, not a copy
};

//! Writes a checkpoint (atomically: a temporary file renamed into place) with the state of
//! every stream in `streams`.
inline void save_checkpoint(std::filesystem::path const& path, checkpoint_info const& info,
                            torch::nn::Module const& model,
                            torch::optim::Optimizer const& optimizer,
                            torch::nn::Module const* average,
                            std::vector<random_stream> const& streams) {
    std::vector<named_tensor> tensors;
    detail::add_module_tensors(tensors, "model.", model);
    detail::add_optimizer_state(tensors, optimizer, model);
    if (average)
        detail::add_module_tensors(tensors, "ema.", *average);
    for (auto const& s : streams)
        tensors.push_back({"rng." + s.name, compat::generator_state(s.generator)});
    std::map<std::string, std::string> meta{
        {"format", checkpoint_format},
        {"experiment", info.experiment},
        {"seed", std::to_string(info.seed)},
        {"epoch", std::to_string(info.epoch)},
        {"epochs", std::to_string(info.epochs)},
        {"step", std::to_string(info.step)},
        {"train_examples", std::to_string(info.train_examples)},
        {"torch", compat::torch_version()},
        {"history", nlohmann::json(info.history).dump()}};
    write_safetensors(path, tensors, meta);
}

//! A checkpoint read back: its tensors and where the run stood.
struct loaded_checkpoint {
    std::filesystem::path path;
    safetensors_file file;
    checkpoint_info info;
};

//! Reads the checkpoint at `path` (the file, or a run directory holding one).
inline loaded_checkpoint read_checkpoint(std::filesystem::path path) {
    if (std::filesystem::is_directory(path))
        path /= checkpoint_file_name;
    if (!std::filesystem::exists(path))
        throw error("--resume " + path.string(), "a checkpoint written by a run",
                    "no such file");
    loaded_checkpoint ck{path, read_safetensors(path), {}};
    auto const& m = ck.file.metadata;
    auto field = [&](char const* key) -> std::string const& {
        auto it = m.find(key);
        if (it == m.end())
            throw error(path.string(), std::string("checkpoint metadata '") + key + "'",
                        "none (not a checkpoint of this library)");
        return it->second;
    };
    if (field("format") != checkpoint_format)
        throw error(path.string(),
                    std::string("a checkpoint of format ") + checkpoint_format,
                    field("format")
                        + " (written by another version of this library: resume it with "
                          "that version, or start the run again)");
    try {
        ck.info.experiment = field("experiment");
        ck.info.seed = std::stoull(field("seed"));
        ck.info.epoch = std::stoi(field("epoch"));
        ck.info.epochs = std::stoi(field("epochs"));
        ck.info.step = std::stoll(field("step"));
        ck.info.train_examples = std::stoll(field("train_examples"));
        ck.info.history =
            nlohmann::json::parse(field("history")).get<std::vector<epoch_record>>();
    } catch (std::invalid_argument const& e) {
        throw error(path.string(), "numeric checkpoint metadata", e.what());
    } catch (nlohmann::json::exception const& e) {
        throw error(path.string(), "a JSON history in the metadata", e.what());
    }
    return ck;
}

//! A checkpoint continues only the run that wrote it: same experiment, seed and length.
inline void check_resumable(checkpoint_info const& info, std::string const& experiment,
                            std::uint64_t seed, int epochs) {
    if (info.experiment != experiment)
        throw error("--resume", "a checkpoint of " + experiment, info.experiment);
    if (info.seed != seed)
        throw error("--resume", "a checkpoint of seed " + std::to_string(seed),
                    "seed " + std::to_string(info.seed) + " (pass --seed "
                        + std::to_string(info.seed) + ")");
    if (info.epochs != epochs)
        throw error("--resume",
                    "a checkpoint of a " + std::to_string(epochs) + "-epoch run",
                    "a " + std::to_string(info.epochs) + "-epoch run (pass --epochs "
                        + std::to_string(info.epochs) + ")");
}

//! Puts the model, optimizer state, weight average and the state of every stream in
//! `streams` from `ck` in place. A stream the checkpoint lacks is an error, not a fresh
//! start: the resumed run would silently draw other numbers.
inline void restore_checkpoint(loaded_checkpoint const& ck, torch::nn::Module& model,
                               torch::optim::Optimizer& optimizer,
                               torch::nn::Module* average,
                               std::vector<random_stream> const& streams) {
    auto const where = ck.path.string();
    detail::load_module_tensors(ck.file, "model.", model, where);
    detail::load_optimizer_state(ck.file, optimizer, model, where);
    if (average)
        detail::load_module_tensors(ck.file, "ema.", *average, where);
    for (auto const& s : streams) {
        auto const* state = ck.file.find("rng." + s.name);
        if (!state)
            throw error(where, "the state of the random stream '" + s.name + "'",
                        "none (a checkpoint of another pipeline, or of an older version)");
        auto gen = s.generator;
        compat::set_generator_state(gen, *state);
    }
}

} // namespace pipeline
