// run/seed_processes: --seeds N in several processes. How many run at once (one per GPU by
// default, never inside a data-parallel launch), which GPU each gets, the worker request
// read from the environment, and a worker's output forwarded line by line with its seed.
// tests/seeds/fan_out.py runs real workers.
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <pipeline/all.hpp>

#include "../support.hpp"

using namespace pipeline;
using pipeline::testing::message_of;
using pipeline::testing::scoped_variable;

TEST_CASE("run/seed_processes: one process per GPU by default, --seed-procs when given") {
    run_options o;
    o.argv = {"experiment"}; // what serve_seed_worker keeps: this program can start workers
    SUBCASE("default device (auto)") {
        CHECK(seed_process_count(o, 5, false, 0) == 1); // no GPU
        CHECK(seed_process_count(o, 5, false, 1) == 1); // one GPU: one seed after another
        CHECK(seed_process_count(o, 5, false, 8) == 5); // never more than the seeds
        CHECK(seed_process_count(o, 3, false, 2) == 2);
        o.device = "cuda";
        CHECK(seed_process_count(o, 3, false, 2) == 2);
    }
    SUBCASE("a named device keeps every seed on it") {
        o.device = "cuda:1";
        CHECK(seed_process_count(o, 4, false, 8) == 1);
        o.device = "cpu";
        CHECK(seed_process_count(o, 4, false, 8) == 1);
    }
    SUBCASE("--seed-procs N wins, at most the seeds; 1 turns fanning out off") {
        o.device = "cpu";
        o.seed_procs = 2;
        CHECK(seed_process_count(o, 5, false, 0) == 2);
        CHECK(seed_process_count(o, 1, false, 0) == 1);
        o.device = "auto";
        o.seed_procs = 1;
        CHECK(seed_process_count(o, 5, false, 8) == 1);
    }
    SUBCASE("a program that cannot start workers runs its seeds one after another") {
        o.argv.clear(); // fit_seeds from a main that does not call serve_seed_worker
        CHECK(seed_process_count(o, 4, false, 8) == 1);
        o.seed_procs = 2;
        auto const msg = message_of([&] { seed_process_count(o, 4, false, 8); });
        CHECK(msg.find("--seed-procs 2: expected a program that can start seed workers")
              == 0);
    }
    SUBCASE("a data-parallel launch trains each seed with all its processes") {
        CHECK(seed_process_count(o, 4, true, 8) == 1);
        o.seed_procs = 3;
        auto const msg = message_of([&] { seed_process_count(o, 4, true, 8); });
        CHECK(msg.find("--seed-procs 3: expected 1 in a data-parallel run") == 0);
    }
}

TEST_CASE("run/seed_processes: each worker gets a GPU as CUDA_VISIBLE_DEVICES names it") {
    {
        scoped_variable const unset("CUDA_VISIBLE_DEVICES", nullptr);
        CHECK(visible_gpus(3) == std::vector<std::string>{"0", "1", "2"});
    }
    {
        scoped_variable const restricted("CUDA_VISIBLE_DEVICES", "2, 5,7");
        CHECK(visible_gpus(2) == std::vector<std::string>{"2", "5"});
        CHECK(visible_gpus(3) == std::vector<std::string>{"2", "5", "7"});
    }
    {
        scoped_variable const uuid("CUDA_VISIBLE_DEVICES", "GPU-8a1f,GPU-77c2");
        CHECK(visible_gpus(2) == std::vector<std::string>{"GPU-8a1f", "GPU-77c2"});
    }
}

TEST_CASE("run/seed_processes: the worker request in the environment") {
    {
        scoped_variable const unset(seed_worker_variable, nullptr);
        CHECK_FALSE(read_seed_worker());
    }
    {
        seed_worker const sent{"Load<FashionMNIST> | Model<ResNet18>", 7, 4, "/tmp/r.json"};
        auto const text = nlohmann::json(sent).dump();
        scoped_variable const set(seed_worker_variable, text.c_str());
        auto const got = read_seed_worker();
        REQUIRE(got);
        CHECK(got->experiment == sent.experiment);
        CHECK(got->seed == 7);
        CHECK(got->threads == 4);
        CHECK(got->report == "/tmp/r.json");
    }
    {
        scoped_variable const broken(seed_worker_variable, "{\"seed\": 3");
        auto const msg = message_of([] { (void)read_seed_worker(); });
        CHECK(
            msg.find("environment variable PIPELINE_SEED_WORKER: expected the JSON object")
            == 0);
        CHECK(msg.find("unset it to run normally") != std::string::npos);
    }
    {
        // run() itself: the error is one line and exit code 1, before any training.
        scoped_variable const broken(seed_worker_variable, "[]");
        std::vector<char const*> argv{"experiment", "--device", "cpu"};
        // clang-format off
        constexpr auto tiny = Load<FashionMNIST>
                            | Model<ResNet18>
                            | Loss<CrossEntropy>;
        // clang-format on
        CHECK(run(tiny, static_cast<int>(argv.size()), const_cast<char**>(argv.data()))
              == 1);
    }
}

TEST_CASE(
    "run/seed_processes: a worker's output reaches the log line by line, seed first") {
    std::ostringstream log;
    pipeline::detail::worker_process w;
    w.seed = 12;
    pipeline::detail::forward_output(w, "epoch 1 | loss", &log);
    CHECK(log.str().empty()); // half a line waits for the rest
    pipeline::detail::forward_output(w, " 0.5\nepoch 2 | loss 0.4\nerror: x", &log);
    CHECK(log.str() == "[seed 12] epoch 1 | loss 0.5\n[seed 12] epoch 2 | loss 0.4\n");
    CHECK(w.partial == "error: x");
    pipeline::detail::forward_output(w, "\n", &log);
    CHECK(w.tail.back() == "error: x");
    for (int k = 0; k < 10; ++k)
        pipeline::detail::forward_output(w, "line\n", nullptr);
    CHECK(w.tail.size() == 5);
    CHECK(pipeline::detail::describe_exit(0) == "exit code 0");
    CHECK(pipeline::detail::describe_exit(9).find("killed by signal 9") == 0);
}
