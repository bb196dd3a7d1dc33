// The plan printed before the first step: every block's parameters, learning-rate factor,
// BatchNorm mode, frozen or not and when that changes; trainable parameters per phase.
#pragma once

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <pipeline/dsl/fixed_string.hpp>
#include <pipeline/train/transfer.hpp>

namespace pipeline {

namespace detail {
//! 11175370 -> "11,175,370". (Built forwards: GCC 12 warns falsely on string::insert.)
inline std::string thousands(std::int64_t n) {
    auto const digits = std::to_string(n < 0 ? -n : n);
    std::string out = n < 0 ? "-" : "";
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0)
            out += ',';
        out += digits[i];
    }
    return out;
}

inline std::string epoch_range(int first, int last) {
    return first == last ? fmt::format("epoch {}", first)
                         : fmt::format("epochs {}-{}", first, last);
}
} // namespace detail

//! The phases of a run: the first epochs of each stretch in which the same blocks train.
inline std::vector<int> plan_phases(std::vector<block_parameters> const& blocks,
                                    int epochs) {
    std::set<int> starts{1};
    for (auto const& b : blocks)
        if (b.trainable_from > 1 && b.trainable_from <= epochs)
            starts.insert(b.trainable_from);
    return {starts.begin(), starts.end()};
}

//! The expanded plan, one line per block, as printed before training.
inline std::string format_plan(std::string const& backbone,
                               std::vector<block_parameters> const& blocks, int epochs,
                               double weight_decay, bool bn_train_when_frozen) {
    auto const total = parameter_count(blocks);
    std::string out = fmt::format("plan: {} | {} parameters in {} blocks | {} epoch{}\n",
                                  backbone, detail::thousands(total), blocks.size(), epochs,
                                  epochs == 1 ? "" : "s");
    out += fmt::format("  {:<8} {:>12} {:>9}  {:<30} {}\n", "block", "parameters", "lr x",
                       "trains", "BatchNorm");
    bool any_unfreeze = false;
    for (auto const& b : blocks) {
        std::string trains;
        if (b.trainable_from <= 1)
            trains = "from epoch 1";
        else if (b.trainable_from > epochs) {
            trains = "frozen";
            if (b.trainable_from != detail::never_trainable)
                trains += fmt::format(" (unfreeze at {} > last epoch)", b.trainable_from);
        } else {
            trains = fmt::format("frozen, unfreezes at epoch {}", b.trainable_from);
            any_unfreeze = true;
        }
        std::string bn;
        if (b.batchnorms.empty())
            bn = "-";
        else if (b.trainable_from <= 1 || bn_train_when_frozen)
            bn = b.trainable_from <= 1 ? "train" : "train (BatchNorm<TrainMode>)";
        else if (b.trainable_from > epochs)
            bn = "eval";
        else
            bn = fmt::format("eval, train from epoch {}", b.trainable_from);
        out += fmt::format("  {:<8} {:>12} {:>9}  {:<30} {}\n", b.name,
                           detail::thousands(b.count), fmt::format("{:.4g}", b.lr_factor),
                           trains, bn);
    }
    auto const phases = plan_phases(blocks, epochs);
    out += "  trainable parameters:";
    for (std::size_t k = 0; k < phases.size(); ++k) {
        int const last = k + 1 < phases.size() ? phases[k + 1] - 1 : epochs;
        out += fmt::format("{} {}: {}", k == 0 ? "" : " |",
                           detail::epoch_range(phases[k], last),
                           detail::thousands(trainable_parameters(blocks, phases[k])));
    }
    out += "\n";
    out += fmt::format(
        "  weight decay {} on convolution and linear weights; none on BatchNorm "
        "and bias parameters\n",
        detail::format_number(weight_decay));
    if (any_unfreeze)
        out += "  at an unfreeze, the block's optimizer state (momentum, Adam moments) "
               "starts from zero at its first step\n";
    return out;
}

} // namespace pipeline
