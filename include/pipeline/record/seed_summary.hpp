// What runs over several seeds add up to: each seed's figures and their spread. Plain
// values, torch-free and light, so the typed front can name them; the statistics,
// the tables and the JSON form are in record/seeds.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace pipeline {

//! Mean and sample standard deviation of `n` values.
struct spread {
    double mean = 0.0;
    double std = 0.0;
    std::size_t n = 0;

    //! "93.12 ± 0.21" for fractions shown as percentages (`percent`), else plain
    //! (record/seeds.hpp).
    [[nodiscard]] std::string text(bool percent = true) const;
};

//! What one run contributes to a summary over seeds (fractions in [0, 1]).
struct seed_figures {
    std::uint64_t seed = 0;
    double final_val_acc = 0.0;
    double best_val_acc = 0.0;
    int best_epoch = 0;
    double test_acc = 0.0;
    double gap = 0.0; //!< clean train accuracy minus validation accuracy, last epoch
};
//! An experiment over several seeds.
struct seed_summary {
    std::string experiment;
    std::vector<seed_figures> runs;
    spread final_val_acc, best_val_acc, test_acc, gap;
};

} // namespace pipeline
