// Transfer-learning model options: which blocks may change (`Frozen`, `Unfreeze`), how
// fast (`LrScale`, `LayerDecay`), what BatchNorm does inside frozen blocks, and the weight
// average (`Ema`). `transfer_plan<B, Options...>` folds them into one per-block table at
// compile time; `check_transfer_options` holds the rules that need the backbone.
// Torch-free.
#pragma once

#include <array>
#include <cstddef>
#include <limits>
#include <string>
#include <type_traits>

#include <boost/hana/all_of.hpp>
#include <boost/hana/count.hpp>
#include <boost/hana/equal.hpp>
#include <boost/hana/flatten.hpp>
#include <boost/hana/length.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>
#include <boost/hana/unpack.hpp>

#include <pipeline/concepts/backbone.hpp>
#include <pipeline/dsl/at_most_one.hpp>
#include <pipeline/dsl/fixed_string.hpp>
#include <pipeline/dsl/model_options.hpp>
#include <pipeline/dsl/tags.hpp>

namespace pipeline {

//! `Model<ResNet18, Pretrained<...>, Frozen<Stem, Layer1>>`: the blocks' parameters get
//! no gradient and no optimizer update, their BatchNorm layers run in eval mode (running
//! statistics stay put) unless `BatchNorm<TrainMode>` is given, and the frozen prefix of
//! the network runs under no-grad.
template <class... Blocks>
struct Frozen : model_option_tag {
    static_assert(
        sizeof...(Blocks) > 0,
        "pipeline: Frozen<...> needs at least one block, e.g. Frozen<Stem, Layer1>");
    static_assert(
        (is_block<Blocks> && ...),
        "pipeline: Frozen<Blocks...> takes block names (Stem, Layer1, ..., Head)");
    static std::string name() {
        std::string out;
        ((out += (out.empty() ? "" : ", ") + name_of<Blocks>()), ...);
        return "Frozen<" + out + ">";
    }
};

//! An epoch number, counted from 1 as the epoch table prints it.
template <int N>
struct AtEpoch {
    static_assert(N >= 1, "pipeline: AtEpoch<N> counts epochs from 1");
    static constexpr int epoch = N;
    static std::string name() { return "AtEpoch<" + std::to_string(N) + ">"; }
};

template <class... Bs>
inline constexpr bool is_freeze_option<Frozen<Bs...>> = true;

template <class T>
inline constexpr bool is_at_epoch = false;
template <int N>
inline constexpr bool is_at_epoch<AtEpoch<N>> = true;

//! `Unfreeze<Layer4, AtEpoch<3>>`: a block listed in `Frozen<...>` becomes trainable at the
//! start of epoch 3. Its optimizer groups exist from step 0; its momentum (SGD) or moment
//! estimates (AdamW) start from zero at the first step it takes, as if the parameter had
//! just been added, because LibTorch creates a parameter's state at its first update.
template <class Block, class When>
struct Unfreeze : model_option_tag {
    static_assert(is_block<Block>,
                  "pipeline: Unfreeze<Block, AtEpoch<N>> takes a block name first");
    static_assert(is_at_epoch<When>,
                  "pipeline: Unfreeze<Block, AtEpoch<N>> takes AtEpoch<N> second");
    static_assert(!is_at_epoch<When> || When::epoch >= 2,
                  "pipeline: Unfreeze<Block, AtEpoch<1>> unfreezes before the first step; "
                  "leave the block out of Frozen<...> instead");
    static std::string name() {
        return "Unfreeze<" + name_of<Block>() + ", " + When::name() + ">";
    }
};

//! `LrScale<Head, 10.0>`: the block's learning rate is the scheduled rate times x.
template <class Block, double X>
struct LrScale : model_option_tag {
    static_assert(is_block<Block>, "pipeline: LrScale<Block, x> takes a block name first");
    static_assert(X > 0.0, "pipeline: LrScale<Block, x> needs x > 0 (use Frozen<Block> to "
                           "stop a block from training)");
    static std::string name() {
        return "LrScale<" + name_of<Block>() + ", " + detail::format_number(X) + ">";
    }
};

//! timm's layer-wise learning-rate decay: the last block (the head) trains at the full
//! rate, the one before at f times it, the one before that at f^2, down to the stem.
template <double F>
struct LayerDecay : model_option_tag {
    static_assert(F > 0.0 && F <= 1.0, "pipeline: LayerDecay<f> needs 0 < f <= 1");
    static std::string name() { return "LayerDecay<" + detail::format_number(F) + ">"; }
};

//! BatchNorm modes inside frozen blocks: `EvalMode` (the default: running statistics are
//! used and not updated) or `TrainMode` (batch statistics, running statistics updated;
//! weights stay frozen either way).
struct EvalMode : named<"EvalMode"> {};
struct TrainMode : named<"TrainMode"> {};

//! `BatchNorm<TrainMode>`: opt out of eval-mode BatchNorm in frozen blocks.
template <class Mode>
struct BatchNorm : model_option_tag {
    static_assert(std::is_same_v<Mode, EvalMode> || std::is_same_v<Mode, TrainMode>,
                  "pipeline: BatchNorm<Mode> takes EvalMode or TrainMode");
    static std::string name() { return "BatchNorm<" + name_of<Mode>() + ">"; }
};

//! `Ema<0.999>`: an exponential moving average of the weights (timm's ModelEmaV2), updated
//! after every step and evaluated as its own model.
template <double Decay>
struct Ema : model_option_tag {
    static_assert(Decay > 0.0 && Decay < 1.0, "pipeline: Ema<decay> needs 0 < decay < 1");
    static std::string name() { return "Ema<" + detail::format_number(Decay) + ">"; }
};

namespace detail {

//! The blocks an option freezes, unfreezes or scales, as Hana tuples of types, one entry
//! per naming (`Frozen<Stem, Stem>` names Stem twice).
template <class Opt>
inline constexpr auto frozen_by = hana::tuple_t<>;
template <class... Bs>
inline constexpr auto frozen_by<Frozen<Bs...>> = hana::tuple_t<Bs...>;
template <class Opt>
inline constexpr auto unfrozen_by = hana::tuple_t<>;
template <class Bk, class W>
inline constexpr auto unfrozen_by<Unfreeze<Bk, W>> = hana::tuple_t<Bk>;
template <class Opt>
inline constexpr auto scaled_by = hana::tuple_t<>;
template <class Bk, double X>
inline constexpr auto scaled_by<LrScale<Bk, X>> = hana::tuple_t<Bk>;

//! Every naming of a block by the options, in the order written.
template <class... Options>
inline constexpr auto
    frozen_blocks = hana::flatten(hana::make_tuple(frozen_by<Options>...));
template <class... Options>
inline constexpr auto
    unfrozen_blocks = hana::flatten(hana::make_tuple(unfrozen_by<Options>...));
template <class... Options>
inline constexpr auto
    scaled_blocks = hana::flatten(hana::make_tuple(scaled_by<Options>...));

//! Whether backbone B has every block an option names; if not, the backbone's message
//! (which lists the blocks it has) stops compilation.
template <class B, class Opt>
inline constexpr bool blocks_known = true;
template <class B, class... Bs>
inline constexpr bool blocks_known<B, Frozen<Bs...>> = (B::template require_block<Bs>()
                                                        && ...);
template <class B, class Bk, class W>
inline constexpr bool blocks_known<B, Unfreeze<Bk, W>> = B::template require_block<Bk>();
template <class B, class Bk, double X>
inline constexpr bool blocks_known<B, LrScale<Bk, X>> = B::template require_block<Bk>();

template <class Block, class Opt>
inline constexpr int unfreeze_epoch_of = 0;
template <class Block, class B, class W>
inline constexpr int unfreeze_epoch_of<Block, Unfreeze<B, W>> =
    std::is_same_v<Block, B> ? W::epoch : 0;

template <class Block, class Opt>
inline constexpr double lr_scale_of = 1.0;
template <class Block, class B, double X>
inline constexpr double lr_scale_of<Block, LrScale<B, X>> =
    std::is_same_v<Block, B> ? X : 1.0;

template <class Opt>
inline constexpr double layer_decay_of = 0.0;
template <double F>
inline constexpr double layer_decay_of<LayerDecay<F>> = F;

template <class Opt>
inline constexpr int bn_train_count = 0;
template <>
inline constexpr int bn_train_count<BatchNorm<TrainMode>> = 1;
template <class Opt>
inline constexpr bool is_batch_norm = false;
template <class M>
inline constexpr bool is_batch_norm<BatchNorm<M>> = true;

template <class Opt>
inline constexpr double ema_decay_of = 0.0;
template <double D>
inline constexpr double ema_decay_of<Ema<D>> = D;

inline constexpr auto is_layer_decay_fn = []<class T>(hana::basic_type<T>) {
    return hana::bool_c<(layer_decay_of<T> > 0.0)>;
};
inline constexpr auto is_batch_norm_fn = []<class T>(hana::basic_type<T>) {
    return hana::bool_c<is_batch_norm<T>>;
};
inline constexpr auto is_ema_fn = []<class T>(hana::basic_type<T>) {
    return hana::bool_c<(ema_decay_of<T> > 0.0)>;
};

//! `f(hana::type_c<Block>)` for each block of backbone B, in data-flow order.
template <class T, class B, class F>
constexpr auto per_block(F const& f) {
    return hana::unpack(B::blocks, [&](auto... block) {
        return std::array<T, sizeof...(block)>{T(f(block))...};
    });
}

//! Per block of B, in data-flow order: how often the options freeze and unfreeze it, the
//! epoch it unfreezes at (0 without Unfreeze) and the product of its LrScale factors.
template <class B, class... Options>
struct transfer_table {
    static constexpr std::size_t size = hana::length(B::blocks);
    static constexpr std::array<int, size> times_frozen = per_block<int, B>(
        [](auto block) { return hana::count(frozen_blocks<Options...>, block); });
    static constexpr std::array<int, size> times_unfrozen = per_block<int, B>(
        [](auto block) { return hana::count(unfrozen_blocks<Options...>, block); });
    static constexpr std::array<int, size> times_scaled = per_block<int, B>(
        [](auto block) { return hana::count(scaled_blocks<Options...>, block); });
    static constexpr std::array<int, size> unfreeze =
        per_block<int, B>([]<class Block>(hana::basic_type<Block>) {
            return (0 + ... + unfreeze_epoch_of<Block, Options>);
        });
    static constexpr std::array<double, size> scale =
        per_block<double, B>([]<class Block>(hana::basic_type<Block>) {
            return (1.0 * ... * lr_scale_of<Block, Options>);
        });
};

//! Whether each block of backbone B is named at most once in `named` (a Hana tuple of
//! block types).
template <class B, class Named>
constexpr bool each_block_at_most_once(Named const& named) {
    return hana::all_of(B::blocks, [&](auto block) {
        return rules::at_most_one(named, hana::equal.to(block));
    });
}

inline constexpr int never_trainable = std::numeric_limits<int>::max();

template <std::size_t N>
constexpr std::array<int, N> trainable_from(std::array<int, N> const& times_frozen,
                                            std::array<int, N> const& unfreeze) {
    std::array<int, N> out{};
    for (std::size_t i = 0; i < N; ++i)
        out[i] = times_frozen[i] == 0 ? 1 : unfreeze[i] > 0 ? unfreeze[i] : never_trainable;
    return out;
}

template <std::size_t N>
constexpr std::array<double, N> lr_factors(std::array<double, N> const& scale,
                                           double decay) {
    std::array<double, N> out{};
    for (std::size_t i = 0; i < N; ++i) {
        double f = scale[i];
        if (decay > 0.0)
            for (std::size_t k = i + 1; k < N; ++k)
                f *= decay;
        out[i] = f;
    }
    return out;
}

template <std::size_t N>
constexpr int count_nonzero(std::array<int, N> const& a) {
    int n = 0;
    for (int v : a)
        n += v != 0;
    return n;
}

template <std::size_t N>
constexpr int max_of(std::array<int, N> const& a) {
    int m = 0;
    for (int v : a)
        m = v > m ? v : m;
    return m;
}

} // namespace detail

//! The per-block table that the options of `Model<B, Options...>` amount to, in the
//! backbone's block order.
template <class B, class... Options>
struct transfer_plan {
    using table = detail::transfer_table<B, Options...>;
    //! `trainable_from[i]` of a block never frozen is 1; of a frozen one, the epoch of its
    //! Unfreeze, or `never`.
    static constexpr int never = detail::never_trainable;
    static constexpr std::size_t blocks = table::size;
    static constexpr std::array<int, blocks> trainable_from =
        detail::trainable_from(table::times_frozen, table::unfreeze);
    static constexpr double layer_decay = (0.0 + ... + detail::layer_decay_of<Options>);
    //! LrScale times LayerDecay's power, for each block.
    static constexpr std::array<double, blocks> lr_factor =
        detail::lr_factors(table::scale, layer_decay);
    //! Whether BatchNorm in frozen blocks trains (`BatchNorm<TrainMode>`).
    static constexpr bool bn_train_when_frozen =
        (0 + ... + detail::bn_train_count<Options>) > 0;
    static constexpr double ema_decay = (0.0 + ... + detail::ema_decay_of<Options>);
    static constexpr int frozen_blocks = detail::count_nonzero(table::times_frozen);
    static constexpr bool any_frozen = frozen_blocks > 0;
    static constexpr bool all_frozen = frozen_blocks == int(blocks);
    //! The latest Unfreeze epoch, 0 without any.
    static constexpr int last_unfreeze = detail::max_of(table::unfreeze);

    static constexpr bool frozen_at(std::size_t block, int epoch) {
        return epoch < trainable_from[block];
    }
};

namespace rules {

//! Each block is frozen at most once, unfrozen at most once and scaled at most once: a
//! second naming is a typo for another block, or a second value for the same one.
template <class B, class... Options>
inline constexpr bool frozen_blocks_unique =
    detail::each_block_at_most_once<B>(detail::frozen_blocks<Options...>);
template <class B, class... Options>
inline constexpr bool
    unfreeze_once = detail::each_block_at_most_once<B>(detail::unfrozen_blocks<Options...>);
template <class B, class... Options>
inline constexpr bool
    lr_scale_once = detail::each_block_at_most_once<B>(detail::scaled_blocks<Options...>);

template <class B, class... Options>
inline constexpr bool unfreeze_only_frozen = [] {
    using T = typename transfer_plan<B, Options...>::table;
    for (std::size_t i = 0; i < T::size; ++i)
        if (T::times_unfrozen[i] > 0 && T::times_frozen[i] == 0)
            return false;
    return true;
}();

//! At most one LayerDecay<f>, BatchNorm<Mode> and Ema<decay> per Model: two would leave it
//! ambiguous which one applies.
template <class... Options>
inline constexpr bool one_layer_decay = at_most_one(hana::tuple_t<Options...>,
                                                    detail::is_layer_decay_fn);
template <class... Options>
inline constexpr bool one_batch_norm = at_most_one(hana::tuple_t<Options...>,
                                                   detail::is_batch_norm_fn);
template <class... Options>
inline constexpr bool one_ema = at_most_one(hana::tuple_t<Options...>, detail::is_ema_fn);

template <class B, class... Options>
inline constexpr bool something_trains = !transfer_plan<B, Options...>::all_frozen;

//! Whether the options name `Block` in a Frozen<...>, and give FreezeRandomInit, CifarStem
//! or a weights source of their own.
template <class Block, class... Options>
inline constexpr bool names_frozen = [] {
    using times =
        decltype(hana::count(detail::frozen_blocks<Options...>, hana::type_c<Block>));
    return times::value > 0;
}();
template <class... Options>
inline constexpr bool freezes_random_init =
    [] { return (std::is_same_v<Options, FreezeRandomInit> || ...); }();
template <class... Options>
inline constexpr bool replaces_stem = (std::is_same_v<Options, CifarStem> || ...);
template <class... Options>
inline constexpr bool names_weights = (is_pretrained_option<Options> || ...);

//! A frozen block must hold weights something loads. The head is replaced for the
//! dataset's classes and never loaded, so Frozen<Head> with weights loaded (written, or
//! implied by Frozen<...>) would keep a random head for the whole run, unless
//! FreezeRandomInit says a fixed random head is meant.
template <class... Options>
inline constexpr bool frozen_head_loaded = [] {
    bool const frozen = names_frozen<Head, Options...>;
    bool const loaded = loads_weights<Options...>;
    return !(frozen && loaded) || freezes_random_init<Options...>;
}();

//! The same for the stem of a ResNet under CifarStem: its 3x3 conv replaces the 7x7 one
//! and is never loaded.
template <class... Options>
inline constexpr bool frozen_stem_loaded = [] {
    bool const frozen = names_frozen<Stem, Options...>;
    bool const replaced = replaces_stem<Options...>;
    bool const loaded = loads_weights<Options...>;
    return !(frozen && replaced && loaded) || freezes_random_init<Options...>;
}();

//! FreezeRandomInit has an effect: some frozen block holds random weights (without a
//! weights source every frozen block does; with one, a frozen Head, or a frozen Stem under
//! CifarStem).
template <class B, class... Options>
inline constexpr bool freeze_random_init_has_effect = [] {
    if (!freezes_random_init<Options...>)
        return true;
    if (!names_weights<Options...>)
        return transfer_plan<B, Options...>::any_frozen;
    bool const head = names_frozen<Head, Options...>;
    bool const stem = names_frozen<Stem, Options...>;
    return head || (stem && replaces_stem<Options...>);
}();

//! An LrScale<Block, x> scales a block that trains at some point of the run: on a block
//! frozen for the whole run (in Frozen<...>, never unfrozen) it would do nothing.
template <class B, class... Options>
inline constexpr bool lr_scale_on_trained_block = [] {
    using Plan = transfer_plan<B, Options...>;
    for (std::size_t i = 0; i < Plan::blocks; ++i)
        if (Plan::table::times_scaled[i] > 0 && Plan::trainable_from[i] == Plan::never)
            return false;
    return true;
}();

//! BatchNorm<TrainMode> changes BatchNorm in frozen blocks only: without any, it would do
//! nothing.
template <class B, class... Options>
inline constexpr bool batch_norm_mode_has_effect = [] {
    using Plan = transfer_plan<B, Options...>;
    return !Plan::bn_train_when_frozen || Plan::any_frozen;
}();

//! LayerDecay<f> scales every block below the last (the head) by a power of f: if all of
//! them are frozen for the whole run, it changes no rate. A block frozen for the whole run
//! is otherwise fine: the decay counts blocks by their place in the network, as timm's
//! does, and the blocks that train keep their factors.
template <class B, class... Options>
inline constexpr bool layer_decay_has_effect = [] {
    using Plan = transfer_plan<B, Options...>;
    if constexpr (Plan::layer_decay == 0.0) {
        return true;
    } else {
        for (std::size_t i = 0; i + 1 < Plan::blocks; ++i)
            if (Plan::trainable_from[i] != Plan::never)
                return true;
        return false;
    }
}();

} // namespace rules

//! The rules on `Model<B, Options...>` that need the backbone. Called first in
//! `ModelStage`; the first broken rule stops compilation with its message.
template <class B, class... Options>
constexpr bool check_transfer_options() {
    // A block the backbone lacks: the backbone's own message lists the blocks it has.
    constexpr bool blocks_known = (detail::blocks_known<B, Options> && ...);
    if constexpr (!blocks_known) {
        return false;
    } else {
        static_assert(rules::frozen_blocks_unique<B, Options...>,
                      "pipeline: a block is frozen twice; name each block once in one "
                      "Frozen<...>");
        // Unfreezing a block that was never frozen does nothing: a typo for another block.
        static_assert(rules::unfreeze_only_frozen<B, Options...>,
                      "pipeline: Unfreeze<Block, ...> names a block that is not in "
                      "Frozen<...>; freeze it first or drop the Unfreeze");
        static_assert(rules::unfreeze_once<B, Options...>,
                      "pipeline: two Unfreeze<...> of one block; a block unfreezes once");
        static_assert(rules::lr_scale_once<B, Options...>,
                      "pipeline: two LrScale<...> of one block; give each block one scale");
        static_assert(rules::one_layer_decay<Options...>,
                      "pipeline: Model<...> takes at most one LayerDecay<f>");
        static_assert(rules::one_batch_norm<Options...>,
                      "pipeline: Model<...> takes at most one BatchNorm<Mode>");
        static_assert(rules::one_ema<Options...>,
                      "pipeline: Model<...> takes at most one Ema<decay>");
        // Training nothing is a wasted run (and an optimizer without work).
        static_assert(rules::something_trains<B, Options...>,
                      "pipeline: every block is frozen, so nothing would train; leave at "
                      "least one block (usually Head) out of Frozen<...>");
        static_assert(
            rules::frozen_head_loaded<Options...>,
            "pipeline: Frozen<Head> with Pretrained<...> (written, or implied by "
            "Frozen<...>) freezes a random head: the head is replaced for the "
            "dataset's classes and never loaded; leave Head out of Frozen<...>, or "
            "add FreezeRandomInit if a fixed random head is meant");
        static_assert(
            rules::frozen_stem_loaded<Options...>,
            "pipeline: Frozen<Stem> with CifarStem and Pretrained<...> (written, or "
            "implied by Frozen<...>) freezes a random stem: CifarStem replaces the "
            "first convolution, which is then never loaded; leave Stem out of "
            "Frozen<...>, drop CifarStem, or add FreezeRandomInit if a fixed random "
            "stem is meant");
        static_assert(
            rules::freeze_random_init_has_effect<B, Options...>,
            "pipeline: FreezeRandomInit has no effect here: no block in "
            "Frozen<...> holds random weights (without Pretrained<...> every frozen "
            "block would; with it, only a frozen Head, or a frozen Stem under "
            "CifarStem); drop FreezeRandomInit");
        static_assert(
            rules::lr_scale_on_trained_block<B, Options...>,
            "pipeline: LrScale<Block, x> scales a block that Frozen<...> freezes "
            "for the whole run (no Unfreeze<Block, ...>), so it has no effect; drop "
            "the LrScale, or unfreeze the block with Unfreeze<Block, AtEpoch<N>>");
        static_assert(rules::batch_norm_mode_has_effect<B, Options...>,
                      "pipeline: BatchNorm<TrainMode> changes BatchNorm in frozen blocks "
                      "only, and Frozen<...> names none, so it has no effect; drop it or "
                      "freeze blocks");
        static_assert(rules::layer_decay_has_effect<B, Options...>,
                      "pipeline: LayerDecay<f> scales the blocks below the head, but "
                      "Frozen<...> freezes all of them for the whole run, so it has no "
                      "effect; drop it or unfreeze a block");
        constexpr bool held[] = {rules::frozen_blocks_unique<B, Options...>,
                                 rules::unfreeze_only_frozen<B, Options...>,
                                 rules::unfreeze_once<B, Options...>,
                                 rules::lr_scale_once<B, Options...>,
                                 rules::something_trains<B, Options...>,
                                 rules::frozen_head_loaded<Options...>,
                                 rules::frozen_stem_loaded<Options...>,
                                 rules::freeze_random_init_has_effect<B, Options...>,
                                 rules::lr_scale_on_trained_block<B, Options...>,
                                 rules::batch_norm_mode_has_effect<B, Options...>,
                                 rules::layer_decay_has_effect<B, Options...>};
        for (bool const h : held)
            if (!h)
                return false;
        return true;
    }
}

//! `check_model_options` (weights, stem, head) and `check_transfer_options` (blocks)
//! once the arguments are of the right kinds (the kind checks come
//! first and must be the only error).
template <class B, class... Options>
constexpr bool model_options_hold() {
    if constexpr (backbone_spec<B> && (is_model_option<Options> && ...))
        return check_model_options<B, Options...>()
               && check_transfer_options<B, Options...>();
    else
        return true;
}

} // namespace pipeline
