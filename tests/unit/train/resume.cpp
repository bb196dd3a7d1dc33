// train/resume: a run stopped after an unfreeze and resumed from its checkpoint reaches
// the same parameters, bit for bit, as the uninterrupted run (CPU, same seed); the
// resumed run writes a new directory and leaves the old one as it was.
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <pipeline/all.hpp>

#include "../support.hpp"

using namespace pipeline;
using pipeline::testing::slurp;
namespace fs = std::filesystem;

namespace {
//! metrics.csv without its last two columns (images/s and seconds: wall-clock).
std::string without_timing(std::string const& csv) {
    std::istringstream in(csv);
    std::string line, out;
    while (std::getline(in, line)) {
        line = line.substr(0, line.rfind(','));        // seconds
        out += line.substr(0, line.rfind(',')) + "\n"; // images per second
    }
    return out;
}

run_options options_in(fs::path const& root) {
    run_options o;
    o.device = "cpu";
    o.seed = 11;
    o.out_dir = root;
    o.eval_limit = 64;
    o.threads = 2;
    o.log = nullptr;
    return o;
}

template <class P>
void check_resume_matches(P experiment, std::string const& tag) {
    auto const root = fs::temp_directory_path()
                      / ("pipeline-resume-" + tag + "-" + std::to_string(::getpid()));
    fs::remove_all(root);
    auto const whole = fit(experiment, options_in(root));

    auto o = options_in(root);
    o.stop_after = 2; // after the unfreeze at epoch 2
    auto const first = fit(experiment, o);
    REQUIRE(first.history.size() == 2);
    CHECK(first.test_examples == 0); // stopped: no test pass
    auto const checkpoint = first.run_dir / "checkpoint.safetensors";
    REQUIRE(fs::exists(checkpoint));
    auto const metrics_before = slurp(first.run_dir / "metrics.csv");
    auto const checkpoint_before = slurp(checkpoint);

    o = options_in(root);
    o.resume = first.run_dir;
    auto const resumed = fit(experiment, o);
    CHECK(resumed.run_dir != first.run_dir);
    REQUIRE(resumed.history.size() == whole.history.size());
    for (std::size_t e = 0; e < whole.history.size(); ++e) {
        CHECK(resumed.history[e].metrics.train_loss == whole.history[e].metrics.train_loss);
        CHECK(resumed.history[e].metrics.val_loss == whole.history[e].metrics.val_loss);
        CHECK(resumed.history[e].block_lrs == whole.history[e].block_lrs);
        CHECK(resumed.history[e].ema_val == whole.history[e].ema_val);
    }
    REQUIRE(resumed.state.size() == whole.state.size());
    for (auto const& [name, t] : whole.state)
        CHECK_MESSAGE(torch::equal(t, resumed.state.at(name)), name);
    CHECK(resumed.test_loss == whole.test_loss);
    CHECK(resumed.ema_test_loss == whole.ema_test_loss);
    // The interrupted run's directory is untouched; the new one holds every epoch.
    CHECK(slurp(first.run_dir / "metrics.csv") == metrics_before);
    CHECK(slurp(checkpoint) == checkpoint_before);
    CHECK(without_timing(slurp(resumed.run_dir / "metrics.csv"))
          == without_timing(slurp(whole.run_dir / "metrics.csv")));
    CHECK(slurp(resumed.run_dir / "lrs.csv") == slurp(whole.run_dir / "lrs.csv"));
    fs::remove_all(root);
}
} // namespace

TEST_CASE("train/resume: SGD with momentum, a staged unfreeze and Ema, bit for bit") {
    // clang-format off
    constexpr auto staged = Load<FashionMNIST, Subset<192>>
                          | Model<ResNet18,
                                  Frozen<Stem, Layer1, Layer2>,
                                  Unfreeze<Layer2, AtEpoch<2>>,
                                  Ema<0.9>,
                                  FreezeRandomInit>
                          | Loss<CrossEntropy>
                          | Optimizer<SGD, {.lr = 0.05}>
                          | Schedule<Cosine, {.warmup_epochs = 1}>
                          | Train<{.epochs = 3, .batch_size = 64, .eval_batch_size = 256}>;
    // clang-format on
    check_resume_matches(staged, "sgd");
}

TEST_CASE("train/resume: AdamW moments and step counts survive the checkpoint") {
    // clang-format off
    constexpr auto staged = Load<FashionMNIST, Subset<192>>
                          | Model<ResNet18,
                                  Frozen<Stem, Layer1, Layer2, Layer3>,
                                  Unfreeze<Layer3, AtEpoch<2>>,
                                  FreezeRandomInit>
                          | Loss<CrossEntropy>
                          | Optimizer<AdamW, {.lr = 1e-3}>
                          | Schedule<OneCycle>
                          | Train<{.epochs = 3, .batch_size = 64, .eval_batch_size = 256}>;
    // clang-format on
    check_resume_matches(staged, "adamw");
}

TEST_CASE("train/resume: every random stream is in the checkpoint: Augment stages, MixUp, "
          "dropout") {
    // Every kind of randomness a run draws from after it starts: crops, flips and MixUp
    // (each Augment stage's own stream), head dropout (the process-wide stream), the
    // shuffle; with a staged unfreeze and a weight average on top.
    // clang-format off
    constexpr auto everything = Load<FashionMNIST, Subset<192>>
                              | Augment<RandomCrop<28, 2>>
                              | Augment<HorizontalFlip>
                              | Augment<MixUp>
                              | Model<ResNet18,
                                      Frozen<Stem, Layer1>,
                                      Unfreeze<Layer1, AtEpoch<2>>,
                                      HeadDropout<0.3>,
                                      Ema<0.9>,
                                      FreezeRandomInit>
                              | Loss<SoftTargetCE>
                              | Optimizer<SGD, {.lr = 0.05}>
                              | Schedule<Cosine, {.warmup_epochs = 1}>
                              | Train<{.epochs = 3, .batch_size = 64, .eval_batch_size = 256}>;
    // clang-format on
    check_resume_matches(everything, "augment");

    // The streams a checkpoint holds, listed: a stream added to the run without being
    // added here (and to trainer::random_streams) fails this test or the one above.
    auto const root =
        fs::temp_directory_path() / ("pipeline-streams-" + std::to_string(::getpid()));
    fs::remove_all(root);
    auto o = options_in(root);
    o.stop_after = 1;
    auto const run = fit(everything, o);
    std::set<std::string> streams;
    for (auto const& t : read_safetensors(run.run_dir / "checkpoint.safetensors").tensors)
        if (t.name.rfind("rng.", 0) == 0)
            streams.insert(t.name);
    CHECK(streams
          == std::set<std::string>{"rng.cpu", "rng.shuffle",
                                   "rng.augment:RandomCrop<28, 2>",
                                   "rng.augment:HorizontalFlip", "rng.augment:MixUp"});
    fs::remove_all(root);
}

TEST_CASE("train/resume: a checkpoint continues only its own run") {
    // clang-format off
    constexpr auto a = Load<FashionMNIST, Subset<128>>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>
                     | Schedule<Constant>
                     | Train<{.epochs = 2, .batch_size = 64}>;
    constexpr auto b = Load<FashionMNIST, Subset<128>>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>
                     | Schedule<Constant>
                     | Train<{.epochs = 3, .batch_size = 64}>;
    // clang-format on
    auto const root =
        fs::temp_directory_path() / ("pipeline-resume-bad-" + std::to_string(::getpid()));
    fs::remove_all(root);
    auto o = options_in(root);
    o.stop_after = 1;
    auto const first = fit(a, o);
    o = options_in(root);
    o.resume = first.run_dir;
    CHECK_THROWS_WITH_AS(fit(b, o), doctest::Contains("a checkpoint of Load<"),
                         pipeline::error);
    o.seed = 12;
    CHECK_THROWS_WITH_AS(fit(a, o), doctest::Contains("pass --seed 11"), pipeline::error);
    o = options_in(root);
    o.resume = root / "nowhere";
    CHECK_THROWS_WITH_AS(fit(a, o), doctest::Contains("no such file"), pipeline::error);
    fs::remove_all(root);
}

namespace {
//! The byte range of tensor `name` in the safetensors file `bytes` (absolute offsets).
std::pair<std::size_t, std::size_t> byte_range(std::string const& bytes,
                                               std::string const& name) {
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i)
        n = (n << 8) | static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)]);
    auto const h = nlohmann::json::parse(bytes.substr(8, n));
    auto const& off = h.at(name).at("data_offsets");
    return {8 + n + off[0].get<std::size_t>(), 8 + n + off[1].get<std::size_t>()};
}

void write_text(fs::path const& p, std::string const& bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << bytes;
}

//! The message fit gives when resuming from `dir` (or "(resumed)").
template <class P>
std::string resume_error(P experiment, fs::path const& root, fs::path const& dir,
                         int emulate_ranks = 1) {
    auto o = options_in(root);
    o.resume = dir;
    o.emulate_ranks = emulate_ranks;
    try {
        fit(experiment, o);
    } catch (pipeline::error const& e) {
        return e.what();
    }
    return "(resumed)";
}
} // namespace

TEST_CASE("train/resume: a checkpoint proves it is whole before a run continues from it") {
    // clang-format off
    constexpr auto small = Load<FashionMNIST, Subset<128>>
                         | Model<ResNet18, Frozen<Stem, Layer1, Layer2>, FreezeRandomInit>
                         | Loss<CrossEntropy>
                         | Optimizer<SGD, {.lr = 0.05}>
                         | Schedule<Constant>
                         | Train<{.epochs = 2, .batch_size = 64, .eval_batch_size = 256}>;
    // clang-format on
    auto const root =
        fs::temp_directory_path() / ("pipeline-resume-whole-" + std::to_string(::getpid()));
    fs::remove_all(root);
    auto o = options_in(root);
    o.stop_after = 1;
    auto const first = fit(small, o);
    auto const checkpoint = first.run_dir / checkpoint_file_name;
    auto const good = slurp(checkpoint);
    auto const copy = root / "copy";
    auto const with = [&](std::string const& bytes) {
        fs::create_directories(copy);
        write_text(copy / checkpoint_file_name, bytes);
        fs::copy_file(first.run_dir / "best.safetensors", copy / "best.safetensors",
                      fs::copy_options::overwrite_existing);
        return copy;
    };
    auto const where = (copy / checkpoint_file_name).string();

    SUBCASE("the untouched copy resumes") {
        CHECK(resume_error(small, root, with(good)) == "(resumed)");
    }
    SUBCASE("one flipped bit in a weight, or in a momentum buffer, is refused by name") {
        for (std::string name : {"model.fc.weight", "optim.fc.weight.momentum_buffer"}) {
            CAPTURE(name);
            auto bytes = good;
            auto const [begin, end] = byte_range(bytes, name);
            REQUIRE(end > begin + 10);
            bytes[begin + 10] = static_cast<char>(bytes[begin + 10] ^ 0x04);
            auto const message = resume_error(small, root, with(bytes));
            CHECK(message.find(where + ": tensor '" + name
                               + "': expected the bytes it was written with (CRC-32C ")
                  != std::string::npos);
            CHECK(message.find("the file changed after it was written")
                  != std::string::npos);
        }
    }
    SUBCASE("a momentum buffer left out is refused, naming the parameter") {
        auto file = read_safetensors(checkpoint);
        std::erase_if(file.tensors, [](named_tensor const& t) {
            return t.name == "optim.fc.weight.momentum_buffer";
        });
        fs::create_directories(copy);
        write_safetensors(copy / checkpoint_file_name, file.tensors, file.metadata);
        fs::copy_file(first.run_dir / "best.safetensors", copy / "best.safetensors",
                      fs::copy_options::overwrite_existing);
        CHECK(
            resume_error(small, root, copy)
            == where
                   + ": expected the optimizer's momentum_buffer of parameter 'fc.weight' "
                     "(the checkpoint lists it as stepped), found none: the checkpoint is "
                     "incomplete");
    }
    SUBCASE("every metadata number is read strictly, naming the field") {
        auto file = read_safetensors(checkpoint);
        for (auto const& [field, value, range] :
             {std::tuple<std::string, std::string, std::string>{"epoch", "99999999999",
                                                                "from 1 to 2"},
              {"epoch", "3", "from 1 to 2"},
              {"step", "-1", "from 0 to 9223372036854775807"},
              {"seed", "11x", "from 0 to 18446744073709551615"},
              {"shards", "0", "from 1 to 2147483647"}}) {
            CAPTURE(field);
            auto meta = file.metadata;
            meta[field] = value;
            fs::create_directories(copy);
            write_safetensors(copy / checkpoint_file_name, file.tensors, meta);
            CHECK(resume_error(small, root, copy)
                  == where + " (checkpoint metadata '" + field
                         + "'): expected a whole number " + range + ", found '" + value
                         + "'");
        }
    }
    SUBCASE("a checkpoint without its checksums proves nothing") {
        // As another program would rewrite it: the same header without the checksum entry.
        std::uint64_t n = 0;
        for (int i = 7; i >= 0; --i)
            n = (n << 8) | static_cast<unsigned char>(good[static_cast<std::size_t>(i)]);
        auto h = nlohmann::json::parse(good.substr(8, n));
        h["__metadata__"].erase(safetensors::checksum_key);
        auto text = h.dump();
        text.append((8 - text.size() % 8) % 8, ' ');
        std::string bytes(8, '\0');
        for (int i = 0; i < 8; ++i)
            bytes[static_cast<std::size_t>(i)] = static_cast<char>(text.size() >> (8 * i));
        CHECK(resume_error(small, root, with(bytes + text + good.substr(8 + n)))
              == where
                     + ": expected a checkpoint carrying the checksums this library writes "
                       "with it, found none (rewritten by another program?): it cannot be "
                       "shown to be whole");
    }
    SUBCASE("another process layout is refused, with the way the run ran") {
        auto o2 = options_in(root / "two");
        o2.stop_after = 1;
        o2.emulate_ranks = 2;
        auto const sharded = fit(small, o2);
        CHECK(
            resume_error(small, root, sharded.run_dir)
            == "--resume: expected a checkpoint of a run of 1 process in 1 shard, as this "
               "one, found one of 1 process in 2 shards (resume it the way it ran: "
               "--emulate-ranks 2)");
        CHECK(resume_error(small, root, sharded.run_dir, 2) == "(resumed)");
    }
    fs::remove_all(root);
}
