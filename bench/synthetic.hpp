// What the training-step benchmarks share (bench/overhead.cpp, bench/gpu/step.cpp): one
// synthetic CIFAR-10-shaped batch laid out as an experiment's data on the device, the
// whole batch as the trainer's step takes it, and the median of timings.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include <pipeline/all.hpp>

namespace pipeline::bench {

inline constexpr int classes = 10;

//! The median (the mean of the two middle values for an even count; 0 when empty).
inline double median(std::vector<double> v) {
    if (v.empty())
        return 0.0;
    auto const mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
    std::nth_element(v.begin(), mid, v.end());
    if (v.size() % 2 == 1)
        return *mid;
    return (*mid + *std::max_element(v.begin(), mid)) / 2.0;
}

//! `n` synthetic uint8 3x32x32 images and labels, made once on the CPU from seed 1 (the
//! same for every side and every benchmark), as the four splits of an experiment's data
//! on `device`, normalised with `e`'s statistics as fit's batches are; channels-last
//! where asked (as fit lays out each split once under Execute<ChannelsLast>).
inline experiment_data synthetic_data(spec::experiment const& e, torch::Device device,
                                      std::int64_t n, bool channels_last = false) {
    auto gen = compat::make_generator(torch::Device(torch::kCPU), 1);
    labelled_images images{torch::randint(0, 256, {n, 3, 32, 32}, gen, torch::kUInt8),
                           torch::randint(0, classes, {n}, gen, torch::kInt64)};
    auto on_device = images.to(device);
    if (channels_last)
        on_device = on_device.channels_last();
    auto const st = pipeline_statistics(e.augmentations, dataset_statistics(e.data));
    normalizer const norm(st.mean, st.std, device);
    return experiment_data{device_batches(on_device, norm),
                           device_batches(on_device, norm),
                           device_batches(on_device, norm),
                           device_batches(on_device, norm),
                           /*val_is_test=*/true,
                           {}};
}

//! The whole training split as one batch, as augmenter::train returns it with no Augment
//! stage.
inline training_batch whole_batch(experiment_data const& data, torch::Device device) {
    auto const n = data.train.size();
    auto const order =
        torch::arange(n, torch::TensorOptions().dtype(torch::kInt64).device(device));
    auto const b = data.train.get(order, 0, n);
    return {b.x, b.y, b.y};
}

} // namespace pipeline::bench
