// What a finished run reports: its epochs, its test figures, where it wrote, and the final
// model's tensors.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <torch/torch.h>

#include <pipeline/record/records.hpp>

namespace pipeline {

//! What a finished run reports.
struct run_result {
    std::string experiment;
    //! Every finished epoch in order (a resumed run's include those before it resumed).
    std::vector<epoch_record> history;
    double test_loss = 0.0;
    double test_acc = 0.0;
    std::int64_t test_examples = 0;
    //! With Ema<decay>: the average's test result.
    double ema_test_loss = 0.0;
    double ema_test_acc = 0.0;
    //! With Evaluate<TTA<...>>: the test result over the views (test_loss and test_acc
    //! stay the single view's).
    double tta_test_loss = 0.0;
    double tta_test_acc = 0.0;
    std::filesystem::path run_dir;
    double seconds = 0.0;
    //! The backbone's blocks (the columns of every record's `block_lrs`).
    std::vector<std::string> blocks;
    //! The epoch with the best validation accuracy (the first of equals), from 1; 0 before
    //! any epoch finished.
    int best_epoch = 0;
    //! Why Train<{.patience}> ended the run before its last epoch (empty: it did not).
    std::string early_stop;
    //! The final model's parameters and buffers by state-dict name.
    std::map<std::string, torch::Tensor> state;
};

} // namespace pipeline
