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
    //! Early stopping (Lightning's EarlyStopping on validation accuracy): end the run
    //! after `patience` epochs in a row without an improvement of more than `min_delta`
    //! (a fraction: 0.005 is half a percentage point) over the best so far; 0 never
    //! stops. The schedule still spans Train<{.epochs}>: a stopped Cosine or OneCycle run
    //! ends before its rate has annealed (docs/stages.md).
    int patience = 0;
    double min_delta = 0.0;
    //! Keep the k best models by validation accuracy: besides best.safetensors (the
    //! best), best-epoch-<N>.safetensors for each of the k best epochs when k > 1
    //! (Lightning's ModelCheckpoint(save_top_k = k)).
    int keep_best = 1;
};

} // namespace pipeline
