// bench/data: images per second of the on-device input pipeline (shuffle + gather +
// normalise + RandomCrop<32, 4> + HorizontalFlip + MixUp, whole batches on the device)
// against a plain torch::data DataLoader doing the same work example by example over the
// same tensors, measured in one run. Prints both rates and their ratio.
//
//   bench_data [--data-dir DIR] [--device cpu|cuda] [--epochs 3] [--batch-size 512]
//              [--threads 1] [--workers 0] [--limit N]
#include <chrono>
#include <cstdint>
#include <iostream>
#include <optional>
#include <random>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <torch/torch.h>

#include <pipeline/all.hpp>

using namespace pipeline;

namespace {

using Experiment =
    Pipeline<LoadStage<CIFAR10>, AugmentStage<RandomCrop<32, 4>>,
             AugmentStage<HorizontalFlip>, AugmentStage<MixUp::with<{.alpha = 0.2}>>,
             ModelStage<ResNet18>, LossStage<SoftTargetCE>>;

//! The baseline: one example at a time, as torchvision's transforms do it.
class per_example_dataset : public torch::data::datasets::Dataset<per_example_dataset> {
public:
    per_example_dataset(labelled_images data, std::uint64_t seed)
        : data_(std::move(data))
        , rng_(seed) {
        for (int c = 0; c < 3; ++c) {
            scale_[c] = static_cast<float>(1.0 / (255.0 * CIFAR10::std[c]));
            shift_[c] = static_cast<float>(-CIFAR10::mean[c] / CIFAR10::std[c]);
        }
        scale_t_ = torch::from_blob(scale_, {3, 1, 1}).clone();
        shift_t_ = torch::from_blob(shift_, {3, 1, 1}).clone();
    }

    torch::data::Example<> get(std::size_t i) override {
        namespace F = torch::nn::functional;
        auto x = data_.images[static_cast<std::int64_t>(i)].to(torch::kFloat32);
        x = x.mul_(scale_t_).add_(shift_t_);
        x = F::pad(x.unsqueeze(0), F::PadFuncOptions({4, 4, 4, 4}).mode(torch::kReflect))
                .squeeze(0);
        std::uniform_int_distribution<int> offset(0, 8);
        auto dy = offset(rng_);
        auto dx = offset(rng_);
        x = x.narrow(1, dy, 32).narrow(2, dx, 32);
        if (std::bernoulli_distribution(0.5)(rng_))
            x = x.flip({2});
        return {x.contiguous(), data_.labels[static_cast<std::int64_t>(i)]};
    }

    torch::optional<std::size_t> size() const override {
        return static_cast<std::size_t>(data_.size());
    }

private:
    labelled_images data_;
    std::mt19937_64 rng_;
    float scale_[3]{};
    float shift_[3]{};
    torch::Tensor scale_t_;
    torch::Tensor shift_t_;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"bench_data: on-device input pipeline vs a torch::data DataLoader"};
    std::optional<std::string> data_dir;
    std::string device_name = "cpu";
    int epochs = 3;
    std::int64_t batch_size = 512;
    int threads = 1;
    int workers = 0;
    std::int64_t limit = 0;
    app.add_option("--data-dir", data_dir,
                   "CIFAR-10 binary release (synthetic data without)");
    app.add_option("--device", device_name, "cpu, cuda, cuda:N");
    app.add_option("--epochs", epochs, "epochs per contender (the first is a warm-up)");
    app.add_option("--batch-size", batch_size);
    app.add_option("--threads", threads, "intra-op CPU threads");
    app.add_option("--workers", workers, "DataLoader worker threads");
    app.add_option("--limit", limit, "use the first N training images");
    CLI11_PARSE(app, argc, argv);
    torch::set_num_threads(threads);
    auto const device = select_device(device_name);

    labelled_images train;
    std::string source;
    if (data_dir) {
        auto dir = dataset_loader<CIFAR10>::locate(std::filesystem::path(*data_dir));
        train = dataset_loader<CIFAR10>::load(dir).train;
        source = "CIFAR-10 train from " + dir.string();
    } else {
        auto gen = compat::make_generator(torch::Device(torch::kCPU), 1);
        train = {torch::randint(0, 256, {50000, 3, 32, 32}, gen, torch::kUInt8),
                 torch::randint(0, 10, {50000}, gen, torch::kInt64)};
        source = "synthetic uint8 images of CIFAR-10's shape (no --data-dir)";
    }
    if (limit > 0 && limit < train.size())
        train = train.first(limit);
    auto const n = train.size();
    auto const steps = n / batch_size;
    auto const images_per_epoch = steps * batch_size;
    std::cout << fmt::format(
        "data: {} | {} images | batch {} | {} epochs (first is warm-up) | "
        "device {} | {} thread{} | torch {}\n",
        source, n, batch_size, epochs, device.str(), threads, threads == 1 ? "" : "s",
        compat::torch_version());

    // On the device: the same code path fit() runs.
    double device_rate = 0.0;
    {
        auto const& e = spec_of<Experiment>;
        auto const st = pipeline_statistics(e.augmentations, dataset_statistics(e.data));
        device_batches data(train.to(device), normalizer(st.mean, st.std, device));
        augmenter augment(e.augmentations, device, 0, CIFAR10::classes);
        auto shuffle = compat::make_generator(device, derive_seed(0, "shuffle"));
        auto checksum = torch::zeros({}, torch::TensorOptions().device(device));
        for (int e = 0; e < epochs; ++e) {
            compat::synchronize(device);
            auto t0 = std::chrono::steady_clock::now();
            auto order = data.shuffled_order(shuffle);
            for (std::int64_t i = 0; i < steps; ++i) {
                auto b = augment.train(data.get(order, i, batch_size));
                checksum += b.x[0][0][0][0] + b.target[0][0];
            }
            compat::synchronize(device);
            double s = seconds_since(t0);
            double rate = double(images_per_epoch) / s;
            if (e > 0 || epochs == 1)
                device_rate = std::max(device_rate, rate);
            std::cout << fmt::format(
                "  on-device  epoch {}: {:8.2f} s  {:10.0f} images/s\n", e + 1, s, rate);
        }
        std::cout << "  (checksum " << checksum.item<float>() << ")\n";
    }

    // A plain DataLoader over the same tensors (on the host, as DataLoaders work), batches
    // moved to the device, MixUp on the collated batch.
    double loader_rate = 0.0;
    {
        auto dataset =
            per_example_dataset(train, 0).map(torch::data::transforms::Stack<>());
        auto loader = torch::data::make_data_loader<torch::data::samplers::RandomSampler>(
            std::move(dataset), torch::data::DataLoaderOptions()
                                    .batch_size(static_cast<std::size_t>(batch_size))
                                    .workers(static_cast<std::size_t>(workers))
                                    .drop_last(true));
        auto mix_gen = compat::make_generator(device, 1);
        auto checksum = torch::zeros({}, torch::TensorOptions().device(device));
        for (int e = 0; e < epochs; ++e) {
            compat::synchronize(device);
            auto t0 = std::chrono::steady_clock::now();
            std::int64_t seen = 0;
            for (auto& b : *loader) {
                auto x = b.data.to(device);
                auto y = b.target.to(device);
                auto m = mix<MixUp::with<{.alpha = 0.2}>::mixing>(x, y, CIFAR10::classes,
                                                                  mix_gen);
                checksum += m.x[0][0][0][0] + m.target[0][0];
                seen += x.size(0);
            }
            compat::synchronize(device);
            double s = seconds_since(t0);
            double rate = double(seen) / s;
            if (e > 0 || epochs == 1)
                loader_rate = std::max(loader_rate, rate);
            std::cout << fmt::format(
                "  DataLoader epoch {}: {:8.2f} s  {:10.0f} images/s\n", e + 1, s, rate);
        }
        std::cout << "  (checksum " << checksum.item<float>() << ")\n";
    }

    std::cout << fmt::format("on-device pipeline: {:.0f} images/s | torch::data DataLoader "
                             "({} workers): {:.0f} images/s | ratio {:.1f}x\n",
                             device_rate, workers, loader_rate, device_rate / loader_rate);
    return 0;
}
