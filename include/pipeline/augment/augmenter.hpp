// The Augment stages of a run, chained: `augmenter` turns a gathered, normalised batch
// into what the model and the loss see (images and hard labels or soft targets), and
// gives evaluation its deterministic part (Resize, centre crops). It runs the stages of
// the experiment's specification (dsl/spec.hpp): built-in stages by their numbers, a
// stage of the user's own through its `augmentation_op`. Each stage draws from its own
// generator seeded with derive_seed(seed, "augment:<stage name>"), so adding or removing
// one stage leaves the randomness of the others unchanged.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include <pipeline/augment/augmentation.hpp>
#include <pipeline/augment/crop.hpp>
#include <pipeline/augment/cutout.hpp>
#include <pipeline/augment/flip.hpp>
#include <pipeline/augment/mixup.hpp>
#include <pipeline/augment/normalize.hpp>
#include <pipeline/augment/resize.hpp>
#include <pipeline/compat.hpp>
#include <pipeline/data/batches.hpp>
#include <pipeline/dsl/spec.hpp>
#include <pipeline/random.hpp>

namespace pipeline {

//! A training batch after augmentation: `x` float [B, C, H, W]; `target` the labels
//! (int64 [B]) or, after MixUp/CutMix, soft targets (float [B, K]); `y` each example's own
//! label (for training accuracy).
struct training_batch {
    torch::Tensor x;
    torch::Tensor target;
    torch::Tensor y;
};

namespace builtin {
template <spec::augmentation_kind K>
std::unique_ptr<augmentation_op> make_augmentation(spec::augmentation const& a);
} // namespace builtin

namespace detail {
//! A built-in pixel stage of kind K, run by its record's numbers.
template <spec::augmentation_kind K>
class builtin_augmentation final : public augmentation_op {
public:
    explicit builtin_augmentation(spec::augmentation const& a)
        : a_(a)
        , name_(a.name()) {}

    torch::Tensor train(torch::Tensor const& x, torch::Generator& gen) override {
        using enum spec::augmentation_kind;
        if constexpr (K == random_crop)
            return pipeline::random_crop(x, gen, a_.size, a_.pad, a_.padding, name_);
        else if constexpr (K == horizontal_flip)
            return random_horizontal_flip(x, gen);
        else if constexpr (K == cutout)
            return pipeline::cutout(x, gen, a_.size);
        else if constexpr (K == resize)
            return pipeline::resize(x, a_.size);
        else
            return x; // Normalize: done as the batch is gathered
    }

    [[nodiscard]] torch::Tensor eval(torch::Tensor const& x) const override {
        using enum spec::augmentation_kind;
        if constexpr (K == random_crop)
            return centre_crop(x, a_.size);
        else if constexpr (K == resize)
            return pipeline::resize(x, a_.size);
        else
            return x;
    }

private:
    spec::augmentation a_;
    std::string name_;
};

//! The stages' operations, in order; a mixing stage has none (mix() runs it).
using augmentation_ops = std::vector<std::shared_ptr<augmentation_op>>;

inline augmentation_ops make_augmentation_ops(std::span<spec::augmentation const> stages) {
    using enum spec::augmentation_kind;
    augmentation_ops ops;
    for (auto const& a : stages) {
        if (a.kind == mixing)
            ops.push_back(nullptr);
        else if (a.kind == custom)
            ops.push_back(a.make());
        else {
#if defined(PIPELINE_HEADER_ONLY)
            ops.push_back(detail::named_code(a.builtin_make, "an augmentation")(a));
#else
            switch (a.kind) {
            case random_crop:
                ops.push_back(builtin::make_augmentation<random_crop>(a));
                break;
            case horizontal_flip:
                ops.push_back(builtin::make_augmentation<horizontal_flip>(a));
                break;
            case cutout:
                ops.push_back(builtin::make_augmentation<cutout>(a));
                break;
            case resize:
                ops.push_back(builtin::make_augmentation<resize>(a));
                break;
            case normalize:
            case mixing:
            case custom:
                ops.push_back(builtin::make_augmentation<normalize>(a));
                break;
            }
#endif
        }
    }
    return ops;
}
} // namespace detail

namespace builtin {
template <spec::augmentation_kind K>
std::unique_ptr<augmentation_op> make_augmentation(spec::augmentation const& a) {
    return std::make_unique<detail::builtin_augmentation<K>>(a);
}
} // namespace builtin

//! The random stream of each stage: "augment:" and its printed name, with "#k" added for
//! the k-th repeat of the same stage (k >= 1), so repeats draw independently.
inline std::vector<std::string>
augmentation_stream_names(std::span<spec::augmentation const> stages) {
    std::vector<std::string> written;
    for (auto const& a : stages)
        written.push_back(a.name());
    std::vector<std::string> names;
    for (std::size_t i = 0; i < written.size(); ++i) {
        std::size_t repeats = 0;
        for (std::size_t j = 0; j < i; ++j)
            repeats += written[j] == written[i];
        names.push_back("augment:" + written[i]
                        + (repeats ? "#" + std::to_string(repeats) : ""));
    }
    return names;
}

//! What evaluation batches of a run with Augment stages `stages` get after normalisation:
//! each stage's deterministic part (Resize, centre crops) in order; empty without stages.
inline batch_view evaluation_view(std::span<spec::augmentation const> stages) {
    if (stages.empty())
        return {};
    return [ops = detail::make_augmentation_ops(stages)](torch::Tensor const& x) {
        auto out = x;
        for (auto const& op : ops)
            if (op)
                out = op->eval(out);
        return out;
    };
}

//! The Augment stages of a run, with one generator each on `device`.
class augmenter {
public:
    //! `stages` must outlive the augmenter (a specification's are constexpr data).
    augmenter(std::span<spec::augmentation const> stages, torch::Device const& device,
              std::uint64_t seed, int classes)
        : stages_(stages)
        , ops_(detail::make_augmentation_ops(stages))
        , names_(augmentation_stream_names(stages))
        , classes_(classes) {
        for (auto const& name : names_)
            gens_.push_back(compat::make_generator(device, derive_seed(seed, name)));
    }

    //! Applies every stage, in the order written, to a gathered, normalised batch.
    [[nodiscard]] training_batch train(batch const& b) {
        training_batch out{b.x, b.y, b.y};
        for (std::size_t i = 0; i < ops_.size(); ++i) {
            if (ops_[i]) {
                out.x = ops_[i]->train(out.x, gens_[i]);
            } else {
                auto m = mix(stages_[i].mixing, out.x, out.y, classes_, gens_[i]);
                out.x = m.x;
                out.target = m.target;
            }
        }
        return out;
    }

    //! What evaluation batches get: the deterministic part of every stage.
    [[nodiscard]] torch::Tensor eval(torch::Tensor x) const {
        for (auto const& op : ops_)
            if (op)
                x = op->eval(x);
        return x;
    }

    //! Each stage's generator under its stream name (handles to the generators this
    //! augmenter draws from), so that a checkpoint can keep their states.
    [[nodiscard]] std::vector<std::pair<std::string, torch::Generator>> streams() const {
        std::vector<std::pair<std::string, torch::Generator>> out;
        for (std::size_t i = 0; i < names_.size(); ++i)
            out.emplace_back(names_[i], gens_[i]);
        return out;
    }

    [[nodiscard]] std::vector<std::string> const& stream_names() const { return names_; }

private:
    std::span<spec::augmentation const> stages_;
    detail::augmentation_ops ops_;
    std::vector<std::string> names_;
    int classes_;
    std::vector<torch::Generator> gens_;
};

} // namespace pipeline
