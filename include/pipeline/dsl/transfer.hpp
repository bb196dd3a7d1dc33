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

#include <boost/hana/length.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>
#include <boost/hana/unpack.hpp>

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

//! The explicit opt-in for freezing blocks of a randomly initialised backbone (without
//! `Pretrained<...>`), which is almost always a mistake.
struct FreezeRandomInit : model_option_tag, named<"FreezeRandomInit"> {};

//! `Ema<0.999>`: an exponential moving average of the weights (timm's ModelEmaV2), updated
//! after every step and evaluated as its own model.
template <double Decay>
struct Ema : model_option_tag {
    static_assert(Decay > 0.0 && Decay < 1.0, "pipeline: Ema<decay> needs 0 < decay < 1");
    static std::string name() { return "Ema<" + detail::format_number(Decay) + ">"; }
};

namespace detail {

template <class Block, class Opt>
struct frozen_count : std::integral_constant<int, 0> {};
template <class Block, class... Bs>
struct frozen_count<Block, Frozen<Bs...>>
    : std::integral_constant<int, (0 + ... + int(std::is_same_v<Block, Bs>))> {};

template <class Block, class Opt>
struct unfreeze_count : std::integral_constant<int, 0> {};
template <class Block, class B, class W>
struct unfreeze_count<Block, Unfreeze<B, W>>
    : std::integral_constant<int, int(std::is_same_v<Block, B>)> {};

template <class Block, class Opt>
struct unfreeze_epoch : std::integral_constant<int, 0> {};
template <class Block, class B, class W>
struct unfreeze_epoch<Block, Unfreeze<B, W>>
    : std::integral_constant<int, std::is_same_v<Block, B> ? W::epoch : 0> {};

template <class Block, class Opt>
struct lr_scale_count : std::integral_constant<int, 0> {};
template <class Block, class B, double X>
struct lr_scale_count<Block, LrScale<B, X>>
    : std::integral_constant<int, int(std::is_same_v<Block, B>)> {};

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
inline constexpr int bn_option_count = 0;
template <class M>
inline constexpr int bn_option_count<BatchNorm<M>> = 1;

template <class Opt>
inline constexpr double ema_decay_of = 0.0;
template <double D>
inline constexpr double ema_decay_of<Ema<D>> = D;

template <template <class, class> class Count, class Block, class... Options>
inline constexpr int sum_over = (0 + ... + Count<Block, Options>::value);
template <class Block, class... Options>
inline constexpr double product_over = (1.0 * ... * lr_scale_of<Block, Options>);

//! Blocks named by an option (for the backbone check).
template <class Opt>
struct named_blocks {
    using type = boost::hana::tuple<>;
};
template <class... Bs>
struct named_blocks<Frozen<Bs...>> {
    using type = boost::hana::tuple<boost::hana::basic_type<Bs>...>;
};
template <class Bk, class W>
struct named_blocks<Unfreeze<Bk, W>> {
    using type = boost::hana::tuple<boost::hana::basic_type<Bk>>;
};
template <class Bk, double X>
struct named_blocks<LrScale<Bk, X>> {
    using type = boost::hana::tuple<boost::hana::basic_type<Bk>>;
};

template <class B, class... Bs>
constexpr bool require_blocks(boost::hana::tuple<boost::hana::basic_type<Bs>...>) {
    return (B::template require_block<Bs>() && ...);
}

//! The blocks of backbone B as a pack, applied to F.
template <class B, template <class...> class F>
using with_blocks = typename decltype(boost::hana::unpack(B::blocks, [](auto... t) {
    return boost::hana::type_c<F<typename decltype(t)::type...>>;
}))::type;

} // namespace detail

namespace detail {

template <class... Options>
struct option_list {};

template <class List, class... Blocks>
struct transfer_table;
template <class... Options, class... Blocks>
struct transfer_table<option_list<Options...>, Blocks...> {
    static constexpr std::size_t size = sizeof...(Blocks);
    static constexpr std::array<int, size> times_frozen{
        sum_over<frozen_count, Blocks, Options...>...};
    static constexpr std::array<int, size> times_unfrozen{
        sum_over<unfreeze_count, Blocks, Options...>...};
    static constexpr std::array<int, size> times_scaled{
        sum_over<lr_scale_count, Blocks, Options...>...};
    static constexpr std::array<int, size> unfreeze{
        sum_over<unfreeze_epoch, Blocks, Options...>...};
    static constexpr std::array<double, size> scale{product_over<Blocks, Options...>...};
};

template <class... Options>
struct table_for {
    template <class... Blocks>
    using type = transfer_table<option_list<Options...>, Blocks...>;
};

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

template <std::size_t N>
constexpr bool any_above(std::array<int, N> const& a, int limit) {
    for (int v : a)
        if (v > limit)
            return true;
    return false;
}

} // namespace detail

//! The per-block table that the options of `Model<B, Options...>` amount to, in the
//! backbone's block order.
template <class B, class... Options>
struct transfer_plan {
    using table = detail::with_blocks<B, detail::table_for<Options...>::template type>;
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

template <class B, class... Options>
inline constexpr bool frozen_blocks_unique =
    !detail::any_above(transfer_plan<B, Options...>::table::times_frozen, 1);

template <class B, class... Options>
inline constexpr bool unfreeze_only_frozen = [] {
    using T = typename transfer_plan<B, Options...>::table;
    for (std::size_t i = 0; i < T::size; ++i)
        if (T::times_unfrozen[i] > 0 && T::times_frozen[i] == 0)
            return false;
    return true;
}();

template <class B, class... Options>
inline constexpr bool unfreeze_once =
    !detail::any_above(transfer_plan<B, Options...>::table::times_unfrozen, 1);

template <class B, class... Options>
inline constexpr bool lr_scale_once =
    !detail::any_above(transfer_plan<B, Options...>::table::times_scaled, 1);

template <class B, class... Options>
inline constexpr bool something_trains = !transfer_plan<B, Options...>::all_frozen;

template <class B, class... Options>
inline constexpr bool frozen_weights_pretrained =
    !transfer_plan<B, Options...>::any_frozen
    || (0 + ... + int(is_pretrained_option<Options>)) > 0
    || (0 + ... + int(std::is_same_v<Options, FreezeRandomInit>)) > 0;

} // namespace rules

//! The rules on `Model<B, Options...>` that need the backbone. Called first in
//! `ModelStage`; the first broken rule stops compilation with its message.
template <class B, class... Options>
constexpr bool check_transfer_options() {
    // A block the backbone lacks: the backbone's own message lists the blocks it has.
    constexpr bool blocks_known =
        (detail::require_blocks<B>(typename detail::named_blocks<Options>::type{}) && ...);
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
        static_assert((0 + ... + int(detail::layer_decay_of<Options> > 0.0)) <= 1,
                      "pipeline: Model<...> takes at most one LayerDecay<f>");
        static_assert((0 + ... + detail::bn_option_count<Options>) <= 1,
                      "pipeline: Model<...> takes at most one BatchNorm<Mode>");
        static_assert((0 + ... + int(detail::ema_decay_of<Options> > 0.0)) <= 1,
                      "pipeline: Model<...> takes at most one Ema<decay>");
        // Training nothing is a wasted run (and an optimizer without work).
        static_assert(rules::something_trains<B, Options...>,
                      "pipeline: every block is frozen, so nothing would train; leave at "
                      "least one block (usually Head) out of Frozen<...>");
        // Frozen random weights are random features forever: almost always a mistake.
        static_assert(rules::frozen_weights_pretrained<B, Options...>,
                      "pipeline: Frozen<...> without Pretrained<...> freezes random "
                      "weights; load pretrained weights or add FreezeRandomInit to say "
                      "it is meant");
        return rules::frozen_blocks_unique<
                   B,
                   Options...> && rules::unfreeze_only_frozen<B, Options...> && rules::unfreeze_once<B, Options...> && rules::lr_scale_once<B, Options...> && rules::something_trains<B, Options...> && rules::frozen_weights_pretrained<B, Options...>;
    }
}

//! `check_model_options` (weights, stem, head) and `check_transfer_options` (blocks)
//! once the arguments are of the right kinds (the kind checks come
//! first and must be the only error).
template <class B, class... Options>
constexpr bool model_options_hold() {
    if constexpr (is_backbone<B> && (is_model_option<Options> && ...))
        return check_model_options<B, Options...>()
               && check_transfer_options<B, Options...>();
    else
        return true;
}

} // namespace pipeline
