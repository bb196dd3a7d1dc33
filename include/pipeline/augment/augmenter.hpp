// The Augment stages of a pipeline, chained: `augmenter<P>` turns a gathered, normalised
// batch into what the model and the loss see (images and hard labels or soft targets),
// and gives evaluation its deterministic part (Resize, centre crops). Each stage draws
// from its own generator seeded with derive_seed(seed, "augment:<stage name>"), so adding
// or removing one stage leaves the randomness of the others unchanged.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <boost/hana/type.hpp>
#include <boost/hana/unpack.hpp>
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
#include <pipeline/dsl/augment_rules.hpp>
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

namespace detail {
template <class... A>
struct augment_chain {
    static constexpr std::size_t size = sizeof...(A);
    template <std::size_t I>
    using at = std::tuple_element_t<I, std::tuple<A...>>;

    static std::vector<std::string> names() { return {A::name()...}; }

    template <std::size_t... I>
    static training_batch train(batch const& b, std::vector<torch::Generator>& gens,
                                int classes, std::index_sequence<I...>) {
        training_batch out{b.x, b.y, b.y};
        (step<I>(out, gens[I], classes), ...);
        return out;
    }

    template <std::size_t I>
    static void step(training_batch& out, torch::Generator& gen, int classes) {
        using X = at<I>;
        if constexpr (is_mixing<X>) {
            auto m = mix<X::mixing>(out.x, out.y, classes, gen);
            out.x = m.x;
            out.target = m.target;
        } else {
            out.x = augmentation_impl<X>::train(out.x, gen);
        }
    }

    static torch::Tensor eval(torch::Tensor x) {
        ((x = eval_one<A>(x)), ...);
        return x;
    }

    template <class X>
    static torch::Tensor eval_one(torch::Tensor const& x) {
        if constexpr (is_mixing<X>)
            return x;
        else
            return augmentation_impl<X>::eval(x);
    }
};
} // namespace detail

//! The Augment stages of pipeline `P`, with one generator each on `device`.
template <class P>
class augmenter {
    using chain = typename decltype(hana::unpack(
        augmentations_t<P>{}, hana::template_<detail::augment_chain>))::type;

public:
    augmenter(torch::Device const& device, std::uint64_t seed, int classes)
        : classes_(classes) {
        for (auto const& name : stream_names())
            gens_.push_back(compat::make_generator(device, derive_seed(seed, name)));
    }

    //! The random stream of each stage: "augment:" and its printed name, with "#k" added
    //! for the k-th repeat of the same stage (k >= 1), so repeats draw independently.
    static std::vector<std::string> stream_names() {
        std::vector<std::string> names;
        auto const written = chain::names();
        for (std::size_t i = 0; i < written.size(); ++i) {
            std::size_t repeats = 0;
            for (std::size_t j = 0; j < i; ++j)
                repeats += written[j] == written[i];
            names.push_back("augment:" + written[i]
                            + (repeats ? "#" + std::to_string(repeats) : ""));
        }
        return names;
    }

    //! Applies every stage, in the order written, to a gathered, normalised batch.
    [[nodiscard]] training_batch train(batch const& b) {
        return chain::train(b, gens_, classes_, std::make_index_sequence<chain::size>{});
    }

    //! Each stage's generator under its stream name (handles to the generators this
    //! augmenter draws from), so that a checkpoint can keep their states.
    [[nodiscard]] std::vector<std::pair<std::string, torch::Generator>> streams() const {
        std::vector<std::pair<std::string, torch::Generator>> out;
        auto const names = stream_names();
        for (std::size_t i = 0; i < names.size(); ++i)
            out.emplace_back(names[i], gens_[i]);
        return out;
    }

    //! What evaluation batches get: the deterministic stages (Resize, centre crops).
    [[nodiscard]] static torch::Tensor eval(torch::Tensor const& x) {
        return chain::eval(x);
    }

    //! `eval` as a function for device_batches, or empty when it is the identity.
    [[nodiscard]] static batch_view eval_view() {
        if constexpr (chain::size == 0)
            return {};
        else
            return [](torch::Tensor const& x) { return chain::eval(x); };
    }

private:
    int classes_;
    std::vector<torch::Generator> gens_;
};

} // namespace pipeline
