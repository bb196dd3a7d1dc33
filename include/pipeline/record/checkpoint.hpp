// Checkpoints for resuming a run: after every epoch, one safetensors file in the run's own
// directory holds the model, the optimizer's per-parameter state (by parameter name), the
// weight average, the random streams and, in its metadata, where the run stands and the
// epochs it has finished. A resumed run writes a new run directory; it never touches the
// one it resumes from.
//
// A checkpoint proves it is whole before a run continues from it: the writer stores a
// CRC-32C of every tensor and of the header (io/safetensors.hpp), the metadata lists which
// parameters have optimizer state, and the world size and shard count it ran with; every
// field is read strictly. A flipped bit, a missing buffer, a number out of range or
// another process layout is refused with what it concerns, never resumed from.
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <pipeline/compat.hpp>
#include <pipeline/error.hpp>
#include <pipeline/host_read.hpp>
#include <pipeline/io/json.hpp>
#include <pipeline/io/safetensors.hpp>
#include <pipeline/record/records.hpp>
#include <pipeline/shape_text.hpp>
#include <pipeline/train/multi_tensor.hpp>

namespace pipeline {

//! The file name of a run's checkpoint inside its directory.
inline constexpr char const* checkpoint_file_name = "checkpoint.safetensors";

//! The checkpoint format this library writes and reads: 2 since epoch records carry the
//! clean training metrics and every random stream is kept by name; 3 since every tensor
//! and the header carry a checksum, the parameters with optimizer state are listed, and
//! the world size and shard count are kept.
inline constexpr char const* checkpoint_format = "pipeline-checkpoint-3";

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
    //! Processes of the data-parallel job (1 alone) and shards of each global batch (the
    //! world size, or --emulate-ranks): a run continues only under the same layout.
    int world = 1;
    int shards = 1;
    //! The parameters that have optimizer state (momentum, moments): each must have all of
    //! it in the checkpoint. Filled when one is read.
    std::vector<std::string> optimizer_state;
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
//! moments and step count (a capturable AdamW's as its device counts say). Parameters that
//! never took a step (frozen so far) have none.
//! Returns the names of the parameters that have state.
inline std::vector<std::string> add_optimizer_state(std::vector<named_tensor>& out,
                                                    torch::optim::Optimizer const& opt,
                                                    torch::nn::Module const& module) {
    auto const& state = opt.state();
    // A capturable AdamW counts steps on the device: all its counts in one read.
    auto const device_steps = device_step_counts(opt);
    std::vector<std::string> stepped;
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
            auto const on_device = device_steps.find(a);
            auto const step =
                on_device == device_steps.end() ? a->step() : on_device->second;
            out.push_back({name + "step", torch::tensor(step, torch::kInt64)});
            out.push_back({name + "exp_avg", a->exp_avg()});
            out.push_back({name + "exp_avg_sq", a->exp_avg_sq()});
            if (a->max_exp_avg_sq().defined())
                out.push_back({name + "max_exp_avg_sq", a->max_exp_avg_sq()});
        } else {
            throw error("checkpoint", "SGD or AdamW optimizer state",
                        "an optimizer state this library cannot save");
        }
        stepped.push_back(p.key());
    }
    return stepped;
}

inline void load_optimizer_state(safetensors_file const& file, torch::optim::Optimizer& opt,
                                 torch::nn::Module const& module,
                                 std::vector<std::string> const& stepped,
                                 std::string const& where) {
    auto& state = opt.state();
    state.clear();
    bool const adamw = dynamic_cast<torch::optim::AdamW*>(&opt) != nullptr;
    auto const params = module.named_parameters();
    for (auto const& name : stepped)
        if (!params.contains(name))
            throw error(where + " (checkpoint metadata 'optimizer_state')",
                        "parameters of this model",
                        "'" + name + "', which it does not have");
    for (auto const& p : params) {
        auto const prefix = "optim." + p.key() + ".";
        bool const listed =
            std::find(stepped.begin(), stepped.end(), p.key()) != stepped.end();
        auto const device = p.value().device();
        // Each parameter the checkpoint lists as stepped has all of its state, and no
        // other has any: a missing buffer would silently restart from zero momentum.
        auto get = [&](std::string const& field) -> torch::Tensor {
            auto const* t = file.find(prefix + field);
            if (!t && listed)
                throw error(where,
                            "the optimizer's " + field + " of parameter '" + p.key()
                                + "' (the checkpoint lists it as stepped)",
                            "none: the checkpoint is incomplete");
            if (t && !listed)
                throw error(where + ": tensor '" + prefix + field + "'",
                            "optimizer state only for the parameters the checkpoint lists",
                            "state of a parameter it does not list");
            if (t && !t->sizes().equals(p.value().sizes()) && field != "step")
                throw error(where + ": tensor '" + prefix + field + "'",
                            "the shape of parameter '" + p.key() + "'", "another shape");
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
            auto exp_avg = get("exp_avg"), exp_avg_sq = get("exp_avg_sq");
            if (!step.defined())
                continue;
            auto s = std::make_unique<torch::optim::AdamWParamState>();
            s->step(host_value<std::int64_t>(step));
            s->exp_avg(exp_avg);
            s->exp_avg_sq(exp_avg_sq);
            if (auto const* m = file.find(prefix + "max_exp_avg_sq"))
                s->max_exp_avg_sq(m->to(device).clone());
            state[key] = std::move(s);
        }
    }
}

//! A whole number of checkpoint metadata, read strictly: digits only (a sign for signed
//! types), within [lo, hi]; anything else names the field, the file and the range.
template <class T>
T metadata_number(std::string const& text, char const* field, std::string const& where,
                  T lo, T hi) {
    T value{};
    auto const* end = text.data() + text.size();
    auto const [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc() || ptr != end || value < lo || value > hi)
        throw error(where + " (checkpoint metadata '" + field + "')",
                    "a whole number from " + std::to_string(lo) + " to "
                        + std::to_string(hi),
                    "'" + text + "'");
    return value;
}

} // namespace detail

//! A random stream a run draws from, by name: the checkpoint keeps its state as the
//! tensor `rng.<name>`, so a resumed run draws exactly what the uninterrupted one would.
struct random_stream {
    std::string name;
    torch::Generator generator; // a handle: the run's own generator, not a copy
};

//! A piece of the loop's own state a checkpoint keeps as the tensor `state.<name>`
//! (FP16's loss scale): restored in place, so `tensor` is the loop's own handle.
using loop_state = std::vector<std::pair<std::string, torch::Tensor>>;

//! Writes a checkpoint (atomically: a temporary file renamed into place) with the state of
//! every stream in `streams` and the loop's `state`.
inline void save_checkpoint(std::filesystem::path const& path, checkpoint_info const& info,
                            torch::nn::Module const& model,
                            torch::optim::Optimizer const& optimizer,
                            torch::nn::Module const* average,
                            std::vector<random_stream> const& streams,
                            loop_state const& state = {}) {
    std::vector<named_tensor> tensors;
    detail::add_module_tensors(tensors, "model.", model);
    auto const stepped = detail::add_optimizer_state(tensors, optimizer, model);
    if (average)
        detail::add_module_tensors(tensors, "ema.", *average);
    for (auto const& s : streams)
        tensors.push_back({"rng." + s.name, compat::generator_state(s.generator)});
    for (auto const& [name, t] : state)
        tensors.push_back({"state." + name, t});
    std::map<std::string, std::string> meta{
        {"format", checkpoint_format},
        {"experiment", info.experiment},
        {"seed", std::to_string(info.seed)},
        {"epoch", std::to_string(info.epoch)},
        {"epochs", std::to_string(info.epochs)},
        {"step", std::to_string(info.step)},
        {"train_examples", std::to_string(info.train_examples)},
        {"torch", compat::torch_version()},
        {"history", nlohmann::json(info.history).dump()},
        {"world", std::to_string(info.world)},
        {"shards", std::to_string(info.shards)},
        {"optimizer_state", nlohmann::json(stepped).dump()}};
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
    // Format 3 files carry checksums, all of which matched when the file was read; a
    // checkpoint without them was rewritten by another program and proves nothing.
    if (!ck.file.verified)
        throw error(path.string(),
                    "a checkpoint carrying the checksums this library writes with it",
                    "none (rewritten by another program?): it cannot be shown to be whole");
    auto const where = path.string();
    using limits_int = std::numeric_limits<int>;
    using limits_int64 = std::numeric_limits<std::int64_t>;
    ck.info.experiment = field("experiment");
    ck.info.seed = detail::metadata_number<std::uint64_t>(
        field("seed"), "seed", where, 0, std::numeric_limits<std::uint64_t>::max());
    ck.info.epochs = detail::metadata_number<int>(field("epochs"), "epochs", where, 1,
                                                  limits_int::max());
    ck.info.epoch =
        detail::metadata_number<int>(field("epoch"), "epoch", where, 1, ck.info.epochs);
    ck.info.step = detail::metadata_number<std::int64_t>(field("step"), "step", where, 0,
                                                         limits_int64::max());
    ck.info.train_examples = detail::metadata_number<std::int64_t>(
        field("train_examples"), "train_examples", where, 1, limits_int64::max());
    ck.info.world =
        detail::metadata_number<int>(field("world"), "world", where, 1, limits_int::max());
    ck.info.shards = detail::metadata_number<int>(field("shards"), "shards", where, 1,
                                                  limits_int::max());
    // An epoch record is 3 deep (the list, a record, its metrics); the names a list.
    auto const history_at = where + " (checkpoint metadata 'history')";
    auto const history =
        parse_json(field("history"), history_at, 4, "a list of epoch records");
    try {
        ck.info.history = history.get<std::vector<epoch_record>>();
    } catch (nlohmann::json::exception const& e) {
        throw error(history_at, "a list of epoch records", e.what());
    }
    if (ck.info.history.size() != static_cast<std::size_t>(ck.info.epoch))
        throw error(history_at,
                    "one record for each of the " + std::to_string(ck.info.epoch)
                        + " epochs finished",
                    std::to_string(ck.info.history.size()));
    auto const names_at = where + " (checkpoint metadata 'optimizer_state')";
    auto const names =
        parse_json(field("optimizer_state"), names_at, 2, "a list of parameter names");
    if (!names.is_array() || !std::all_of(names.begin(), names.end(), [](auto const& n) {
            return n.is_string();
        }))
        throw error(names_at, "a list of parameter names", names.dump());
    ck.info.optimizer_state = names.get<std::vector<std::string>>();
    return ck;
}

//! A checkpoint continues only the run that wrote it: same experiment, seed and length,
//! and the same process layout (each shard's BatchNorm statistics and random draws depend
//! on it, so another world size or shard count would continue a different run).
inline void check_resumable(checkpoint_info const& info, std::string const& experiment,
                            std::uint64_t seed, int epochs, int world, int shards) {
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
    if (info.world != world || info.shards != shards) {
        auto const layout = [](int w, int n) {
            return std::to_string(w) + (w == 1 ? " process" : " processes") + " in "
                   + std::to_string(n) + (n == 1 ? " shard" : " shards");
        };
        throw error(
            "--resume",
            "a checkpoint of a run of " + layout(world, shards) + ", as this one",
            "one of " + layout(info.world, info.shards) + " (resume it the way it ran: "
                + (info.world > 1
                       ? "under a launcher with WORLD_SIZE=" + std::to_string(info.world)
                       : "--emulate-ranks " + std::to_string(info.shards))
                + ")");
    }
}

//! Puts the model, optimizer state, weight average and the state of every stream in
//! `streams` and the loop's `state` from `ck` in place. A stream or state the checkpoint
//! lacks is an error, not a fresh start: the resumed run would silently differ.
inline void restore_checkpoint(loaded_checkpoint const& ck, torch::nn::Module& model,
                               torch::optim::Optimizer& optimizer,
                               torch::nn::Module* average,
                               std::vector<random_stream> const& streams,
                               loop_state const& state = {}) {
    auto const where = ck.path.string();
    detail::load_module_tensors(ck.file, "model.", model, where);
    detail::load_optimizer_state(ck.file, optimizer, model, ck.info.optimizer_state, where);
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
    for (auto const& [name, t] : state) {
        auto const* saved = ck.file.find("state." + name);
        if (!saved)
            throw error(where, "the loop state '" + name + "'",
                        "none (a checkpoint of another pipeline, or of an older version)");
        if (saved->sizes() != t.sizes() || saved->scalar_type() != t.scalar_type())
            throw error(where + " (loop state '" + name + "')",
                        std::string(c10::toString(t.scalar_type())) + " of shape "
                            + detail::shape_text(t),
                        std::string(c10::toString(saved->scalar_type())) + " of shape "
                            + detail::shape_text(*saved));
        torch::NoGradGuard no_grad;
        auto target = t;
        target.copy_(*saved);
    }
}

} // namespace pipeline
