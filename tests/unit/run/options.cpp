// run/options: the standard command line every experiment gets: values out of range or of
// the wrong kind are one error naming the option, what it takes and what was given (never
// silently changed), valid values reach run_options unchanged, and run() prints the error
// and returns 1 before any data or model work.
#include <cstdint>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <doctest/doctest.h>

#include <pipeline/all.hpp>

using namespace pipeline;

namespace {
run_options parse(std::vector<std::string> args) {
    args.insert(args.begin(), "experiment");
    std::vector<char const*> argv;
    for (auto const& a : args)
        argv.push_back(a.c_str());
    CLI::App app{"test"};
    return parse_run_options(app, static_cast<int>(argv.size()), argv.data());
}

std::string command_line_error(std::vector<std::string> args) {
    try {
        parse(std::move(args));
    } catch (pipeline::error const& e) {
        return e.what();
    }
    return "(no error)";
}

//! Redirects std::cerr into a string while alive.
struct capture_cerr {
    std::ostringstream text;
    std::streambuf* saved = std::cerr.rdbuf(text.rdbuf());
    ~capture_cerr() { std::cerr.rdbuf(saved); }
};
} // namespace

TEST_CASE("run/options: a seed out of range is refused, never wrapped or clamped") {
    auto const range = "--seed: expected a whole number from 0 to 18446744073709551615, ";
    CHECK(command_line_error({"--seed", "-1"}) == range + std::string("found -1"));
    CHECK(command_line_error({"--seed", "99999999999999999999999"})
          == range + std::string("found 99999999999999999999999"));
    CHECK(command_line_error({"--seed", "18446744073709551616"})
          == range + std::string("found 18446744073709551616"));
    CHECK(command_line_error({"--seed", "0x10"}) == range + std::string("found 0x10"));
    CHECK(command_line_error({"--seed", "1e3"}) == range + std::string("found 1e3"));
    CHECK(parse({"--seed", "18446744073709551615"}).seed == 18446744073709551615ULL);
    CHECK(parse({"--seed", "010"}).seed == 10); // decimal, not CLI11's octal
    CHECK(parse({}).seed == 0);
}

TEST_CASE("run/options: counts say what they take and what was given") {
    CHECK(command_line_error({"--epochs", "0"})
          == "--epochs: expected at least 1, found 0");
    CHECK(command_line_error({"--limit", "0"}) == "--limit: expected at least 1, found 0");
    CHECK(command_line_error({"--eval-limit", "-5"})
          == "--eval-limit: expected at least 1, found -5");
    CHECK(command_line_error({"--stop-after", "0"})
          == "--stop-after: expected at least 1, found 0");
    CHECK(command_line_error({"--threads", "-1"})
          == "--threads: expected at least 0, found -1");
    // Bounded by the machine: 4 threads per hardware thread (10,000 hung, 1000 crawled).
    auto const cap = std::to_string(max_threads());
    CHECK(command_line_error({"--threads", "10000"})
          == "--threads: expected at most " + cap + max_threads_reason() + ", found 10000");
    CHECK(command_line_error({"--threads", std::to_string(max_threads() + 1)})
              .find("at most " + cap)
          != std::string::npos);
    CHECK(parse({"--threads", cap}).threads == max_threads());
    CHECK(command_line_error({"--epochs", "two"})
          == "--epochs: expected a whole number from 1 to 2147483647, found two");
    CHECK(command_line_error({"--epochs", "99999999999"})
          == "--epochs: expected a whole number from 1 to 2147483647, found 99999999999");
    auto o = parse({"--epochs", "3", "--limit", "5000000000", "--eval-limit", "64",
                    "--threads", "0", "--stop-after", "2", "--device", "cpu"});
    CHECK(o.epochs == 3);
    CHECK(o.limit == 5000000000LL);
    CHECK(o.eval_limit == 64);
    CHECK(o.threads == 0);
    CHECK(o.stop_after == 2);
    CHECK(o.device == "cpu");
}

TEST_CASE("run/options: the learning-rate finder's options, range-checked") {
    CHECK_FALSE(parse({}).find_lr);
    auto const o = parse({"--find-lr", "--find-lr-steps", "60", "--find-lr-start", "1e-5",
                          "--find-lr-end", "3"});
    CHECK(o.find_lr);
    CHECK(o.lr_sweep.steps == 60);
    CHECK(o.lr_sweep.start_lr == 1e-5);
    CHECK(o.lr_sweep.end_lr == 3.0);
    CHECK(parse({}).lr_sweep.steps == 100);
    CHECK(command_line_error({"--find-lr-steps", "9"})
          == "--find-lr-steps: expected at least 10, found 9");
    CHECK(command_line_error({"--find-lr-start", "-1"})
          == "--find-lr-start: expected a real number above 0, found -1");
    CHECK(command_line_error({"--find-lr-end", "1e400"})
          == "--find-lr-end: expected a real number above 0, found 1e400");
    CHECK(command_line_error({"--find-lr-end", "ten"})
          == "--find-lr-end: expected a real number above 0, found ten");
}

TEST_CASE("run/options: run() prints the error and returns 1 before loading anything") {
    // clang-format off
    constexpr auto experiment = Load<FashionMNIST>
                              | Model<ResNet18>
                              | Loss<CrossEntropy>;
    // clang-format on
    auto call = [&](std::vector<std::string> args) {
        args.insert(args.begin(), "experiment");
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(a.data());
        return run(experiment, static_cast<int>(argv.size()), argv.data());
    };
    {
        capture_cerr err;
        CHECK(call({"--seed", "-1", "--data-dir", "/nonexistent"}) == 1);
        CHECK(err.text.str()
              == "error: --seed: expected a whole number from 0 to 18446744073709551615, "
                 "found -1\n");
    }
    {
        // The second seed would wrap to 0: refused before any work.
        capture_cerr err;
        CHECK(call({"--seed", "18446744073709551615", "--seeds", "2", "--data-dir",
                    "/nonexistent"})
              == 1);
        CHECK(err.text.str()
              == "error: --seed with --seeds 2: expected a first seed of at most "
                 "18446744073709551614 (the last, --seed + 1, must be at most "
                 "18446744073709551615), found 18446744073709551615\n");
        capture_cerr quiet;
        CHECK(call({"--seed", "18446744073709551614", "--seeds", "2", "--data-dir",
                    "/nonexistent"})
              == 1); // accepted; fails later, at the missing data
        CHECK(quiet.text.str().find("data directory") != std::string::npos);
    }
    {
        capture_cerr err;
        CHECK(call({"--epochs", "0"}) == 1);
        CHECK(err.text.str() == "error: --epochs: expected at least 1, found 0\n");
    }
    {
        // A checkpoint continues one seed's run: --resume with --seeds 2 once finished seed
        // 1, then failed with "pass --seed 1" although it was passed.
        capture_cerr err;
        CHECK(call({"--resume", "/nonexistent/run", "--seeds", "2", "--seed", "1"}) == 1);
        CHECK(
            err.text.str()
            == "error: --resume with --seeds 2: expected one run to continue (a checkpoint "
               "holds one seed's run), found 2 seeds: resume each seed's run on its own, "
               "with its --seed and its run directory\n");
    }
    {
        capture_cerr err;
        CHECK(call({"--no-such-option"}) != 0); // CLI11's own refusal, as before
        CHECK(err.text.str().find("--no-such-option") != std::string::npos);
    }
    {
        std::ostringstream out;
        auto* const saved = std::cout.rdbuf(out.rdbuf());
        auto const code = call({"--help"});
        std::cout.rdbuf(saved);
        CHECK(code == 0);
        CHECK(out.str().find("experiment: Load<FashionMNIST> | Model<ResNet18>") == 0);
        CHECK(out.str().find("--seed UINT=0 ") != std::string::npos);
        CHECK(out.str().find("--epochs INT:at least 1") != std::string::npos);
    }
}
