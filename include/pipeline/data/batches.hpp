// Batches served from tensors that already live on the training device: one seeded
// permutation per epoch, a gather by index, and normalisation, all on the device. No
// torch::data DataLoader (it collates example by example) and no per-step host copies.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include <torch/torch.h>

#include <pipeline/data/dataset.hpp>

namespace pipeline {

//! Per-channel means and standard deviations of a run's inputs, pixels scaled to [0, 1].
struct channel_statistics {
    std::vector<double> mean;
    std::vector<double> std;
};

//! A float batch ready for the model: `x` float [B, C, H, W] normalised, `y` int64 [B].
struct batch {
    torch::Tensor x;
    torch::Tensor y;
};

//! Normalises uint8 images on their device: x / 255, minus the mean, over the std.
class normalizer {
public:
    normalizer() = default;

    //! For per-channel `mean` and `std` (as many of each as the images have channels).
    normalizer(std::span<double const> mean, std::span<double const> std,
               torch::Device const& device) {
        auto const c = static_cast<std::int64_t>(mean.size());
        std::vector<float> scale(mean.size());
        std::vector<float> shift(mean.size());
        for (std::size_t k = 0; k < mean.size(); ++k) {
            scale[k] = static_cast<float>(1.0 / (255.0 * std[k]));
            shift[k] = static_cast<float>(-mean[k] / std[k]);
        }
        auto opts = torch::TensorOptions().dtype(torch::kFloat32);
        scale_ = torch::from_blob(scale.data(), {1, c, 1, 1}, opts).clone().to(device);
        shift_ = torch::from_blob(shift.data(), {1, c, 1, 1}, opts).clone().to(device);
    }

    [[nodiscard]] torch::Tensor operator()(torch::Tensor const& images_u8) const {
        return images_u8.to(torch::kFloat32).mul_(scale_).add_(shift_);
    }

private:
    torch::Tensor scale_;
    torch::Tensor shift_;
};

//! A deterministic transform of evaluation batches after normalisation (Resize, centre
//! crops: what augment/augmenter.hpp derives from the Augment stages); empty for none.
using batch_view = std::function<torch::Tensor(torch::Tensor const&)>;

//! Serves one split in batches. The data must already be on the device it trains on.
class device_batches {
public:
    device_batches(labelled_images data, normalizer norm, batch_view eval_view = {})
        : data_(std::move(data))
        , norm_(std::move(norm))
        , view_(std::move(eval_view)) {}

    [[nodiscard]] std::int64_t size() const { return data_.size(); }
    [[nodiscard]] labelled_images const& data() const { return data_; }

    //! Number of batches in one pass; `drop_last` drops an incomplete final batch (training
    //! keeps a constant batch shape, which BatchNorm and captured graphs both want).
    [[nodiscard]] std::int64_t count(std::int64_t batch_size, bool drop_last) const {
        return drop_last ? size() / batch_size : (size() + batch_size - 1) / batch_size;
    }

    //! A fresh random order of all examples, drawn on the data's device from `gen`.
    [[nodiscard]] torch::Tensor shuffled_order(torch::Generator& gen) const {
        return torch::randperm(
            size(), gen,
            torch::TensorOptions().dtype(torch::kInt64).device(data_.labels.device()));
    }

    //! Shard `shard` of `shards` of batch `i` of the given order: positions
    //! i*B + shard*B/shards .. i*B + (shard+1)*B/shards (B a multiple of `shards`, batch
    //! `i` a whole one). Every rank of a data-parallel run takes its own from one
    //! permutation.
    [[nodiscard]] batch get_shard(torch::Tensor const& order, std::int64_t i,
                                  std::int64_t batch_size, std::int64_t shard,
                                  std::int64_t shards) const {
        auto const len = batch_size / shards;
        auto idx = order.narrow(0, i * batch_size + shard * len, len);
        return {norm_(gather(idx)), data_.labels.index_select(0, idx)};
    }

    //! Batch `i` of the given order (positions i*B .. min((i+1)*B, N)).
    [[nodiscard]] batch get(torch::Tensor const& order, std::int64_t i,
                            std::int64_t batch_size) const {
        auto begin = i * batch_size;
        auto len = std::min(batch_size, size() - begin);
        auto idx = order.narrow(0, begin, len);
        return {norm_(gather(idx)), data_.labels.index_select(0, idx)};
    }

    //! Batch `i` in storage order (evaluation), with the evaluation view applied.
    [[nodiscard]] batch get(std::int64_t i, std::int64_t batch_size) const {
        auto begin = i * batch_size;
        auto len = std::min(batch_size, size() - begin);
        auto x = norm_(data_.images.narrow(0, begin, len));
        return {view_ ? view_(x) : x, data_.labels.narrow(0, begin, len)};
    }

private:
    //! Rows `idx` of the images: by `index`, which keeps a channels-last layout
    //! (Execute<ChannelsLast> lays the splits out so), where `index_select` returns NCHW.
    [[nodiscard]] torch::Tensor gather(torch::Tensor const& idx) const {
        auto const& im = data_.images;
        bool const nhwc = im.dim() == 4
                          && im.is_contiguous(torch::MemoryFormat::ChannelsLast)
                          && !im.is_contiguous();
        return nhwc ? im.index({idx}) : im.index_select(0, idx);
    }

    labelled_images data_;
    normalizer norm_;
    batch_view view_;
};

} // namespace pipeline
