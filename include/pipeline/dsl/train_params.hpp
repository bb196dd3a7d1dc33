// The Train<{...}> stage's parameters: how long and in what batches. Torch-free.
#pragma once

namespace pipeline {

struct TrainParams {
    int epochs = 10;
    int batch_size = 128;
    //! Batch size for validation and test passes (no gradients, so it can be larger).
    int eval_batch_size = 1024;
    //! Clip the global gradient norm to this value; 0 disables clipping.
    double clip_grad_norm = 0.0;
};

} // namespace pipeline
