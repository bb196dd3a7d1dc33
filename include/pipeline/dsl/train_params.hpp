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
    //! Gradient accumulation: each batch runs as this many micro-batches of
    //! batch_size / accumulate (forward and backward each, the losses scaled so the
    //! gradients add up to the whole batch's), then one optimizer step. The update is the
    //! whole batch's, except that BatchNorm normalises and tracks each micro-batch.
    int accumulate = 1;
};

} // namespace pipeline
