// models/pretrained: strict and non-strict loading (missing, unexpected, mis-shaped
// names; the head and a CifarStem conv replaced on purpose), 1-channel adaptation,
// half-precision files, .pth archives, the weights directory, and a pretrained run
// through fit().
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <pipeline/all.hpp>

using namespace pipeline;
namespace fs = std::filesystem;

namespace {
fs::path scratch_dir(std::string const& name) {
    auto dir = fs::temp_directory_path()
               / ("pipeline-pretrained-" + name + "-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    return dir;
}

std::vector<named_tensor> state_of(torch::nn::Module const& m) {
    std::vector<named_tensor> out;
    for (auto const& p : m.named_parameters())
        out.push_back({p.key(), p.value().detach().clone()});
    for (auto const& b : m.named_buffers())
        out.push_back({b.key(), b.value().detach().clone()});
    return out;
}

weights_file as_weights(std::vector<named_tensor> tensors) {
    weights_file w;
    w.path = "test.safetensors";
    w.tensors = std::move(tensors);
    w.mean = {0.485, 0.456, 0.406};
    w.std = {0.229, 0.224, 0.225};
    return w;
}

load_spec resnet_spec(bool strict = true) {
    load_spec s;
    s.strict = strict;
    s.skip_prefixes = {"fc."};
    s.stem_conv = "conv1.weight";
    return s;
}

std::vector<named_tensor> without(std::vector<named_tensor> v, std::string const& name) {
    std::erase_if(v, [&](named_tensor const& t) { return t.name == name; });
    return v;
}

std::string load_error(torch::nn::Module& m, weights_file const& w, load_spec const& s) {
    try {
        load_weights(m, w, s);
    } catch (pipeline::error const& e) {
        return e.what();
    }
    return "no error";
}
} // namespace

TEST_CASE("models/pretrained: strict load copies everything but the head") {
    torch::manual_seed(1);
    auto source = make_backbone<ResNet18>({3, 1000});
    torch::manual_seed(2);
    auto target = make_backbone<ResNet18>({3, 10});
    auto const fc_before = target->fc->weight.clone();
    auto const report = load_weights(*target, as_weights(state_of(*source)), resnet_spec());
    CHECK(report.replaced == std::vector<std::string>{"fc.weight", "fc.bias"});
    CHECK(report.missing.empty());
    CHECK(report.loaded.size() == 122 - 2);
    CHECK(torch::equal(target->conv1->weight, source->conv1->weight));
    CHECK(torch::equal(target->layers[3]->named_buffers()["1.bn2.running_var"],
                       source->layers[3]->named_buffers()["1.bn2.running_var"]));
    CHECK(torch::equal(target->fc->weight, fc_before));
}

TEST_CASE(
    "models/pretrained: strict refuses a file that lacks, adds or mis-shapes tensors") {
    auto source = make_backbone<ResNet18>({3, 1000});
    auto target = make_backbone<ResNet18>({3, 10});
    auto const before = target->conv1->weight.clone();
    auto tensors = without(state_of(*source), "layer2.1.conv2.weight");
    tensors.push_back({"extra.weight", torch::ones({3})});
    for (auto& t : tensors)
        if (t.name == "layer1.0.bn1.bias")
            t.tensor = torch::zeros({65});
    auto const err = load_error(*target, as_weights(tensors), resnet_spec());
    CHECK(err.find("test.safetensors: expected every tensor of the model (head excepted)")
          == 0);
    CHECK(err.find("missing: layer2.1.conv2.weight;") != std::string::npos);
    CHECK(err.find("unexpected: extra.weight;") != std::string::npos);
    CHECK(err.find("mis-shaped: layer1.0.bn1.bias (file [65], model [64])")
          != std::string::npos);
    CHECK(torch::equal(target->conv1->weight, before)); // nothing was loaded
}

TEST_CASE("models/pretrained: non-strict loads what matches and names what stayed fresh") {
    auto source = make_backbone<ResNet18>({3, 1000});
    auto target = make_backbone<ResNet18>({3, 10});
    auto const fresh = target->layers[1]->named_parameters()["1.conv2.weight"].clone();
    auto const report = load_weights(
        *target, as_weights(without(state_of(*source), "layer2.1.conv2.weight")),
        resnet_spec(false));
    CHECK(report.missing == std::vector<std::string>{"layer2.1.conv2.weight"});
    CHECK(torch::equal(target->layers[1]->named_parameters()["1.conv2.weight"], fresh));
    CHECK(torch::equal(target->conv1->weight, source->conv1->weight));
    auto const text = report.summary();
    CHECK(text.find("weights: freshly initialised (missing from the file): "
                    "layer2.1.conv2.weight\n")
          != std::string::npos);
    CHECK(text.find("weights: freshly initialised (replaced): fc.weight, fc.bias\n")
          != std::string::npos);
}

TEST_CASE("models/pretrained: 1-channel models get the RGB stem filters summed") {
    auto source = make_backbone<ResNet18>({3, 1000});
    auto target = make_backbone<ResNet18>({1, 10});
    auto const report = load_weights(*target, as_weights(state_of(*source)), resnet_spec());
    CHECK(report.channels_adapted);
    CHECK(torch::allclose(target->conv1->weight, source->conv1->weight.sum(1, true)));
    // The statistics follow: one channel gets the average of the three.
    auto const [mean, stdev] = input_statistics<1>(as_weights({}));
    CHECK(mean[0] == doctest::Approx((0.485 + 0.456 + 0.406) / 3));
    CHECK(stdev[0] == doctest::Approx((0.229 + 0.224 + 0.225) / 3));
}

TEST_CASE("models/pretrained: CifarStem's conv is replaced, not a shape mismatch") {
    auto source = make_backbone<ResNet18>({3, 1000});
    model_config c{3, 10};
    c.cifar_stem = true;
    auto target = make_backbone<ResNet18>(c);
    CHECK(target->conv1->weight.sizes() == torch::IntArrayRef{64, 3, 3, 3});
    auto spec = resnet_spec();
    spec.stem_replaced = true;
    auto const report = load_weights(*target, as_weights(state_of(*source)), spec);
    CHECK(report.replaced
          == std::vector<std::string>{"conv1.weight", "fc.weight", "fc.bias"});
    CHECK(torch::equal(target->bn1->weight, source->bn1->weight));
    torch::NoGradGuard no_grad;
    target->eval();
    CHECK(target->forward(torch::randn({1, 3, 32, 32})).sizes()
          == torch::IntArrayRef{1, 10});
}

TEST_CASE("models/pretrained: F16 and BF16 files load into float32 models") {
    auto const dir = scratch_dir("half");
    auto source = make_backbone<MobileNetV3Small>({3, 10});
    for (auto dtype : {torch::kFloat16, torch::kBFloat16}) {
        auto tensors = state_of(*source);
        for (auto& t : tensors)
            if (t.tensor.is_floating_point())
                t.tensor = t.tensor.to(dtype);
        write_safetensors(dir / "half.safetensors", tensors, {{"mean", "0.5,0.5,0.5"}});
        auto const w = read_weights(dir / "half.safetensors", imagenet_statistics.mean,
                                    imagenet_statistics.std);
        CHECK(w.mean == std::vector<double>{0.5, 0.5, 0.5});
        CHECK(w.std
              == std::vector<double>(imagenet_statistics.std.begin(),
                                     imagenet_statistics.std.end()));
        auto target = make_backbone<MobileNetV3Small>({3, 10});
        load_spec spec;
        load_weights(*target, w, spec);
        auto const got = target->features[0]->named_parameters()["0.weight"].clone();
        CHECK((got.scalar_type() == torch::kFloat32));
        CHECK(torch::equal(got,
                           source->features[0]->named_parameters()["0.weight"].to(dtype).to(
                               torch::kFloat32)));
    }
    fs::remove_all(dir);
}

TEST_CASE("models/pretrained: .pth archives written by LibTorch's pickler read back") {
    auto const dir = scratch_dir("pth");
    c10::impl::GenericDict dict(c10::StringType::get(), c10::TensorType::get());
    auto const a = torch::randn({3, 4});
    auto const b = torch::arange(5, torch::kInt64);
    dict.insert("a.weight", a);
    dict.insert("b.num_batches_tracked", b);
    auto const bytes = torch::pickle_save(dict);
    {
        std::ofstream(dir / "w.pth", std::ios::binary)
            .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
    auto const t = read_pth(dir / "w.pth");
    REQUIRE(t.size() == 2);
    CHECK(t[0].name == "a.weight");
    CHECK(torch::equal(t[0].tensor, a));
    CHECK(torch::equal(t[1].tensor, b));

    // Corrupt: truncated, garbage, an empty file.
    for (std::size_t keep : {bytes.size() / 2, std::size_t{10}, std::size_t{0}}) {
        CAPTURE(keep);
        std::ofstream(dir / "bad.pth", std::ios::binary | std::ios::trunc)
            .write(bytes.data(), static_cast<std::streamsize>(keep));
        CHECK_THROWS_AS(read_pth(dir / "bad.pth"), pipeline::error);
    }
    std::ofstream(dir / "bad.pth", std::ios::binary | std::ios::trunc) << "hello world";
    CHECK_THROWS_WITH_AS(read_pth(dir / "bad.pth"), doctest::Contains("not a .pth file"),
                         pipeline::error);
    fs::remove_all(dir);
}

TEST_CASE("models/pretrained: the weights directory: flag, then environment, then cache") {
    auto saved = [](char const* name) {
        char const* v = std::getenv(name);
        return std::optional<std::string>(v ? std::optional<std::string>(v) : std::nullopt);
    };
    auto restore = [](char const* name, std::optional<std::string> const& v) {
        if (v)
            ::setenv(name, v->c_str(), 1);
        else
            ::unsetenv(name);
    };
    auto const old_env = saved("PIPELINE_WEIGHTS_DIR");
    auto const old_xdg = saved("XDG_CACHE_HOME");
    auto const old_home = saved("HOME");
    CHECK(weights_dir(fs::path("/flag")) == fs::path("/flag"));
    ::setenv("PIPELINE_WEIGHTS_DIR", "/env", 1);
    CHECK(weights_dir(std::nullopt) == fs::path("/env"));
    ::unsetenv("PIPELINE_WEIGHTS_DIR");
    ::setenv("XDG_CACHE_HOME", "/xdg", 1);
    CHECK(weights_dir(std::nullopt) == fs::path("/xdg/pipeline/weights"));
    ::unsetenv("XDG_CACHE_HOME");
    ::setenv("HOME", "/home/u", 1);
    CHECK(weights_dir(std::nullopt) == fs::path("/home/u/.cache/pipeline/weights"));
    restore("PIPELINE_WEIGHTS_DIR", old_env);
    restore("XDG_CACHE_HOME", old_xdg);
    restore("HOME", old_home);
    CHECK_THROWS_WITH_AS(
        find_weights("/nowhere", imagenet_file_names("resnet18"), "ResNet18"),
        doctest::Contains("looked in /nowhere/resnet18.imagenet.safetensors, "
                          "/nowhere/resnet18.imagenet.pth)"),
        pipeline::error);
}

TEST_CASE("models/pretrained: ImageNet weights are also found in torchvision's and the "
          "Hugging Face hub's caches, and a miss names every place looked") {
    auto const root = scratch_dir("caches");
    auto const saved = [](char const* name) {
        char const* v = std::getenv(name);
        return v ? std::optional<std::string>(v) : std::nullopt;
    };
    auto const old_torch = saved("TORCH_HOME"), old_hf = saved("HF_HOME"),
               old_hub = saved("HF_HUB_CACHE"), old_xdg = saved("XDG_CACHE_HOME"),
               old_weights = saved("PIPELINE_WEIGHTS_DIR");
    ::setenv("XDG_CACHE_HOME", (root / "xdg").c_str(), 1);
    ::unsetenv("TORCH_HOME");
    ::unsetenv("HF_HOME");
    ::unsetenv("HF_HUB_CACHE");
    ::unsetenv("PIPELINE_WEIGHTS_DIR");
    using stage = decltype(Model<ResNet18, Pretrained<ImageNet>>);
    // Nothing anywhere: one error naming each place and how to get the weights.
    try {
        pretrained_weights<stage>(root / "weights");
        FAIL("no weights exist");
    } catch (pipeline::error const& e) {
        std::string const msg = e.what();
        CHECK(msg.find((root / "weights" / "resnet18.imagenet.safetensors").string())
              != std::string::npos);
        CHECK(msg.find((root / "xdg/torch/hub/checkpoints/resnet18-f37072fd.pth").string())
              != std::string::npos);
        CHECK(
            msg.find((root / "xdg/huggingface/hub/models--timm--resnet18.tv_in1k").string())
            != std::string::npos);
        CHECK(msg.find("scripts/fetch-weights.sh resnet18") != std::string::npos);
    }
    // torchvision's cache, as torch.hub leaves it ($TORCH_HOME/hub/checkpoints).
    auto source = make_backbone<ResNet18>({3, 1000});
    std::vector<named_tensor> tensors;
    for (auto const& p : source->named_parameters())
        tensors.push_back({p.key(), p.value().detach()});
    for (auto const& b : source->named_buffers())
        tensors.push_back({b.key(), b.value().detach()});
    ::setenv("TORCH_HOME", (root / "torch").c_str(), 1);
    fs::create_directories(root / "torch/hub/checkpoints");
    write_safetensors(root / "torch/hub/checkpoints/resnet18-f37072fd.pth", tensors);
    auto const from_torch = pretrained_weights<stage>(root / "weights");
    REQUIRE(from_torch);
    CHECK(from_torch->path == root / "torch/hub/checkpoints/resnet18-f37072fd.pth");
    // The Hugging Face hub cache, as timm leaves it (a snapshot per revision).
    fs::remove_all(root / "torch");
    ::setenv("HF_HOME", (root / "hf").c_str(), 1);
    auto const snapshot = root / "hf/hub/models--timm--resnet18.tv_in1k/snapshots/0123abc";
    fs::create_directories(snapshot);
    write_safetensors(snapshot / "model.safetensors", tensors);
    auto const from_hf = pretrained_weights<stage>(root / "weights");
    REQUIRE(from_hf);
    CHECK(from_hf->path == snapshot / "model.safetensors");
    // The weights directory comes first.
    fs::create_directories(root / "weights");
    write_safetensors(root / "weights/resnet18.imagenet.safetensors", tensors);
    CHECK(pretrained_weights<stage>(root / "weights")->path
          == root / "weights/resnet18.imagenet.safetensors");
    // A relative weights directory (typed as `--weights-dir ../shared/data`) is relative
    // to the working directory, and looked in once (not inside itself).
    {
        struct in_directory {
            fs::path before = fs::current_path();
            explicit in_directory(fs::path const& d) { fs::current_path(d); }
            ~in_directory() { fs::current_path(before); }
        } here(root);
        auto const relative = pretrained_weights<stage>(fs::path("weights"));
        REQUIRE(relative);
        CHECK(relative->path == fs::path("weights/resnet18.imagenet.safetensors"));
    }
    auto restore = [](char const* name, std::optional<std::string> const& v) {
        if (v)
            ::setenv(name, v->c_str(), 1);
        else
            ::unsetenv(name);
    };
    restore("TORCH_HOME", old_torch);
    restore("HF_HOME", old_hf);
    restore("HF_HUB_CACHE", old_hub);
    restore("XDG_CACHE_HOME", old_xdg);
    restore("PIPELINE_WEIGHTS_DIR", old_weights);
}

TEST_CASE("models/pretrained: fit() loads Pretrained<File<...>> and says what it did") {
    auto const dir = scratch_dir("fit");
    torch::manual_seed(5);
    auto source = make_backbone<ResNet18>({3, 1000});
    write_safetensors(dir / "mine.safetensors", state_of(*source));
    // clang-format off
    constexpr auto experiment = Load<FashionMNIST, Subset<64>>
                              | Model<ResNet18, Pretrained<File<"mine.safetensors">>>
                              | Loss<CrossEntropy>
                              | Train<{.epochs = 1, .batch_size = 32, .eval_batch_size = 64}>;
    // clang-format on
    run_options o;
    o.device = "cpu";
    o.out_dir.clear();
    o.eval_limit = 64;
    o.threads = 2;
    o.weights_dir = dir;
    std::ostringstream log;
    o.log = &log;
    auto const r = fit(experiment, o);
    CHECK(std::isfinite(r.test_loss));
    auto const text = log.str();
    CHECK(
        text.find("weights: loaded 120 tensors from " + (dir / "mine.safetensors").string())
        != std::string::npos);
    CHECK(text.find("weights: stem conv summed over RGB for 1-channel input")
          != std::string::npos);

    // A missing file is one clear error naming where it looked.
    o.weights_dir = dir / "empty";
    auto const where = "looked in " + (dir / "empty" / "mine.safetensors").string();
    CHECK_THROWS_WITH_AS(fit(experiment, o), doctest::Contains(where.c_str()),
                         pipeline::error);
    fs::remove_all(dir);
}

TEST_CASE("models/pretrained: integer data for a float parameter is refused, not cast") {
    auto const dir = scratch_dir("int");
    auto source = make_backbone<ResNet18>({3, 1000});
    auto target = make_backbone<ResNet18>({3, 10});
    auto const before = target->conv1->weight.clone();
    auto tensors = state_of(*source);
    for (auto& t : tensors)
        if (t.name == "layer1.0.conv1.weight")
            t.tensor = (t.tensor * 100).to(torch::kInt32);
    write_safetensors(dir / "int.safetensors", tensors);
    auto const w = read_weights(dir / "int.safetensors", imagenet_statistics.mean,
                                imagenet_statistics.std);
    auto const want = (dir / "int.safetensors").string()
                      + ": tensor 'layer1.0.conv1.weight': expected floating-point data "
                        "(F32, F16, BF16 or F64) for the model's F32 (Float) tensor, found "
                        "I32 (Int) data (integers are not cast to weights: is this the "
                        "right file?)";
    CHECK(load_error(*target, w, resnet_spec()) == want);
    CHECK(load_error(*target, w, resnet_spec(false)) == want); // NonStrict too
    CHECK(torch::equal(target->conv1->weight, before));        // nothing was loaded
    fs::remove_all(dir);
}

TEST_CASE("models/pretrained: NaN or infinite values are refused, naming the tensor") {
    auto source = make_backbone<ResNet18>({3, 1000});
    auto target = make_backbone<ResNet18>({3, 10});
    auto const before = target->conv1->weight.clone();
    auto const nan = std::numeric_limits<float>::quiet_NaN();
    auto const inf = std::numeric_limits<float>::infinity();
    auto with = [&](std::string const& name, std::vector<float> values) {
        auto tensors = state_of(*source);
        for (auto& t : tensors)
            if (t.name == name)
                for (std::size_t i = 0; i < values.size(); ++i)
                    t.tensor.view(-1)[static_cast<std::int64_t>(i)] = values[i];
        return as_weights(tensors);
    };
    CHECK(load_error(*target, with("layer3.1.bn2.running_var", {nan}), resnet_spec())
          == "test.safetensors: tensor 'layer3.1.bn2.running_var': expected finite values, "
             "found 1 of 256 values non-finite (1 NaN, 0 infinite)");
    CHECK(load_error(*target, with("conv1.weight", {inf, -inf, nan}), resnet_spec(false))
          == "test.safetensors: tensor 'conv1.weight': expected finite values, found 3 of "
             "9408 values non-finite (1 NaN, 2 infinite)");
    // Half precision too (F16 overflows to infinity, the usual way a file gets one).
    auto half = state_of(*source);
    for (auto& t : half) {
        if (t.name == "fc.bias" || t.name == "layer4.0.bn1.weight")
            t.tensor[3] = 70000.0; // past F16's range: inf (the head is skipped anyway)
        if (t.tensor.is_floating_point())
            t.tensor = t.tensor.to(torch::kFloat16);
    }
    CHECK(load_error(*target, as_weights(half), resnet_spec())
              .find("tensor 'layer4.0.bn1.weight': expected finite values, found 1 of 512 "
                    "values non-finite (0 NaN, 1 infinite)")
          != std::string::npos);
    CHECK(torch::equal(target->conv1->weight, before));
}
