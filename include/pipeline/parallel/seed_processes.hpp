// `--seeds N` as independent processes, one seed per GPU on a machine with several (or
// `--seed-procs K` on any machine), when no data-parallel run is asked for. The parent
// relaunches its own program with the same command line and PIPELINE_SEED_WORKER in the
// environment, naming the experiment, the seed, the thread count and a report file; the
// worker trains that one run (its own run directory, as a sequential run writes it),
// writes its figures to the report and exits. The parent streams every worker's output
// line by line with its seed in front, starts the next seed on the GPU that came free,
// and summarises the seeds exactly as a sequential run does: the runs are the same runs.
#pragma once

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pipeline/error.hpp>
#include <pipeline/parallel/distributed.hpp>
#include <pipeline/record/run_options.hpp>
#include <pipeline/record/seeds.hpp>

extern char** environ; // NOLINT: POSIX's process environment, for posix_spawn

namespace pipeline {

//! What a seed worker is asked to do: train `experiment` (its printed form) once with
//! `seed` on `threads` intra-op threads, and write its figures as JSON to `report`.
struct seed_worker {
    std::string experiment;
    std::uint64_t seed = 0;
    int threads = 1;
    std::string report;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(seed_worker, experiment, seed, threads, report)

//! The environment variable that makes a program a seed worker.
inline constexpr char const* seed_worker_variable = "PIPELINE_SEED_WORKER";

//! The request in PIPELINE_SEED_WORKER, or nullopt when the program is not a seed worker.
inline std::optional<seed_worker> read_seed_worker() {
    auto const text = detail::environment_variable(seed_worker_variable);
    if (!text)
        return std::nullopt;
    try {
        return nlohmann::json::parse(*text).get<seed_worker>();
    } catch (nlohmann::json::exception const& e) {
        throw error(std::string("environment variable ") + seed_worker_variable,
                    "the JSON object a --seeds run gives its worker processes (experiment, "
                    "seed, threads, report); unset it to run normally",
                    "'" + *text + "' (" + e.what() + ")");
    }
}

//! How many seeds run at once, each in its own process: `--seed-procs` when given (at most
//! the number of seeds); by default one per GPU when more than one is visible and the
//! device is `auto` or `cuda` (a named `cuda:N` keeps every seed on that GPU), else 1.
//! Never more than 1 in a data-parallel run (its processes are the launcher's), nor in a
//! program that cannot start workers (`o.argv` empty: its entry point does not call
//! serve_seed_worker).
inline int seed_process_count(run_options const& o, int seeds, bool data_parallel,
                              int gpus) {
    if (o.argv.empty()) {
        if (o.seed_procs > 1)
            throw error("--seed-procs " + std::to_string(o.seed_procs),
                        "a program that can start seed workers (pipeline::run, compare, "
                        "run_variants and roadmap can; a main of your own calls "
                        "serve_seed_worker right after parsing its command line)",
                        "fit_seeds called without the program's command line");
        return 1;
    }
    if (data_parallel) {
        if (o.seed_procs > 1)
            throw error(
                "--seed-procs " + std::to_string(o.seed_procs),
                "1 in a data-parallel run (WORLD_SIZE set: the launcher's processes "
                "train each seed together)",
                "a request for several seeds at once");
        return 1;
    }
    if (o.seed_procs > 0)
        return std::min(o.seed_procs, seeds);
    bool const any_gpu = o.device == "auto" || o.device == "cuda";
    return any_gpu && gpus > 1 ? std::min(gpus, seeds) : 1;
}

//! The GPUs the workers get, one each, named as CUDA_VISIBLE_DEVICES names them (so a
//! parent restricted to "2,5" hands out 2 and 5): the first `count` of the visible ones.
inline std::vector<std::string> visible_gpus(int count) {
    std::vector<std::string> names;
    if (auto const visible = detail::environment_variable("CUDA_VISIBLE_DEVICES")) {
        std::string item;
        for (char c : *visible + ",")
            if (c == ',') {
                if (!item.empty())
                    names.push_back(item);
                item.clear();
            } else if (c != ' ') {
                item += c;
            }
    } else {
        for (int k = 0; k < count; ++k)
            names.push_back(std::to_string(k));
    }
    names.resize(std::min<std::size_t>(names.size(), static_cast<std::size_t>(count)));
    return names;
}

namespace detail {

//! "exit code 3", "killed by signal 9 (Killed)": how a worker ended.
inline std::string describe_exit(int status) {
    if (WIFEXITED(status))
        return "exit code " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status))
        return fmt::format("killed by signal {} ({})", WTERMSIG(status),
                           strsignal(WTERMSIG(status)));
    return "status " + std::to_string(status);
}

//! A temporary directory for the workers' reports, removed with everything in it.
class report_directory {
public:
    report_directory() {
        auto pattern =
            (std::filesystem::temp_directory_path() / "pipeline-seeds-XXXXXX").string();
        if (!mkdtemp(pattern.data()))
            throw error(pattern, "a temporary directory for the seed workers' reports",
                        std::strerror(errno));
        path_ = pattern;
    }
    ~report_directory() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    report_directory(report_directory const&) = delete;
    report_directory& operator=(report_directory const&) = delete;
    [[nodiscard]] std::filesystem::path const& path() const { return path_; }

private:
    std::filesystem::path path_;
};

//! One running worker: its process, the read end of its output pipe, the line it has not
//! finished yet and the last lines it printed (for the error if it fails).
struct worker_process {
    std::uint64_t seed = 0;
    std::size_t slot = 0;
    pid_t pid = -1;
    int output = -1;
    std::string partial;
    std::deque<std::string> tail;
};

//! Starts this program again (/proc/self/exe, the same arguments) with `environment`,
//! its standard output and error into a pipe whose read end is returned with the pid.
inline worker_process spawn_worker(std::vector<std::string> const& argv,
                                   std::vector<std::string> const& environment) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        throw error("a seed worker", "a pipe for its output", std::strerror(errno));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
    auto pointers = [](std::vector<std::string> const& v) {
        std::vector<char*> p;
        for (auto const& s : v)
            p.push_back(const_cast<char*>(s.c_str()));
        p.push_back(nullptr);
        return p;
    };
    auto args = pointers(argv);
    auto env = pointers(environment);
    pid_t pid = -1;
    int const rc =
        posix_spawn(&pid, "/proc/self/exe", &actions, nullptr, args.data(), env.data());
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        throw error("a seed worker (" + argv.front() + " started again)", "a new process",
                    std::strerror(rc));
    }
    worker_process w;
    w.pid = pid;
    w.output = fds[0];
    return w;
}

//! Hands `chunk` of worker `w`'s output to `log` line by line, each with the seed in
//! front, keeping the last few lines.
inline void forward_output(worker_process& w, std::string_view chunk, std::ostream* log) {
    w.partial.append(chunk);
    std::size_t start = 0;
    for (std::size_t nl; (nl = w.partial.find('\n', start)) != std::string::npos;
         start = nl + 1) {
        auto line = w.partial.substr(start, nl - start);
        if (log)
            *log << fmt::format("[seed {}] {}\n", w.seed, line) << std::flush;
        w.tail.push_back(std::move(line));
        if (w.tail.size() > 5)
            w.tail.pop_front();
    }
    w.partial.erase(0, start);
}

} // namespace detail

//! Trains `experiment` with seeds `o.seed` to `o.seed + seeds - 1`, `procs` at a time, each
//! in a worker process started from `o.argv`; on GPUs (`gpus` non-empty) each worker sees
//! one of them alone (CUDA_VISIBLE_DEVICES). Returns the figures in seed order. Runs that
//! finished keep their directories; if any worker fails, the others still finish and then
//! one error names every failed seed, how it ended and its last line.
inline std::vector<seed_figures> run_seed_processes(std::string const& experiment,
                                                    run_options const& o, int seeds,
                                                    int procs,
                                                    std::vector<std::string> const& gpus) {
    int const cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    int const threads = o.threads > 0 ? o.threads : std::max(1, cores / procs);
    if (o.log)
        *o.log << fmt::format("seeds {} to {}: {} at a time, each in its own process{} "
                              "({} thread{} each)\n",
                              o.seed, o.seed + static_cast<std::uint64_t>(seeds) - 1, procs,
                              gpus.empty() ? "" : " on its own GPU", threads,
                              threads == 1 ? "" : "s")
               << std::flush;
    detail::report_directory reports;
    std::vector<std::string> base_env;
    for (char** e = environ; *e; ++e) {
        std::string_view const entry(*e);
        auto starts = [&](std::string_view name) {
            return entry.substr(0, name.size() + 1) == std::string(name) + "=";
        };
        if (!starts(seed_worker_variable)
            && !(starts("CUDA_VISIBLE_DEVICES") && !gpus.empty()))
            base_env.emplace_back(entry);
    }
    std::vector<detail::worker_process> running;
    std::vector<bool> slot_busy(static_cast<std::size_t>(procs), false);
    std::map<std::uint64_t, seed_figures> done;
    std::map<std::uint64_t, std::string> failures;
    int next = 0;
    auto report_of = [&](std::uint64_t seed) {
        return reports.path() / ("seed-" + std::to_string(seed) + ".json");
    };
    auto start = [&](std::size_t slot) {
        auto const seed = o.seed + static_cast<std::uint64_t>(next++);
        auto env = base_env;
        env.push_back(std::string(seed_worker_variable) + "="
                      + nlohmann::json(seed_worker{experiment, seed, threads,
                                                   report_of(seed).string()})
                            .dump());
        if (!gpus.empty())
            env.push_back("CUDA_VISIBLE_DEVICES=" + gpus[slot % gpus.size()]);
        auto w = detail::spawn_worker(o.argv, env);
        w.seed = seed;
        w.slot = slot;
        slot_busy[slot] = true;
        running.push_back(std::move(w));
    };
    auto finish = [&](std::size_t k) {
        auto w = std::move(running[k]);
        running.erase(running.begin() + static_cast<std::ptrdiff_t>(k));
        close(w.output);
        if (!w.partial.empty())
            detail::forward_output(w, "\n", o.log);
        int status = 0;
        while (waitpid(w.pid, &status, 0) < 0 && errno == EINTR) {
        }
        slot_busy[w.slot] = false;
        std::ifstream in(report_of(w.seed));
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && in) {
            try {
                done[w.seed] = nlohmann::json::parse(in).get<seed_figures>();
                return;
            } catch (nlohmann::json::exception const&) {
            }
        }
        failures[w.seed] =
            fmt::format("seed {}: {}{}", w.seed, detail::describe_exit(status),
                        w.tail.empty() ? "" : ": " + w.tail.back());
    };
    while (next < seeds || !running.empty()) {
        for (std::size_t slot = 0; slot < slot_busy.size() && next < seeds; ++slot)
            if (!slot_busy[slot])
                start(slot);
        std::vector<pollfd> fds;
        for (auto const& w : running)
            fds.push_back({w.output, POLLIN, 0});
        if (poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR)
                continue;
            throw error("the seed workers' output", "poll to succeed",
                        std::strerror(errno));
        }
        // From the back, so that finishing one does not move those still to be read.
        for (std::size_t k = fds.size(); k-- > 0;) {
            if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buffer[4096];
            auto const n = read(fds[k].fd, buffer, sizeof buffer);
            if (n > 0)
                detail::forward_output(running[k], std::string_view(buffer, std::size_t(n)),
                                       o.log);
            else if (n == 0 || errno != EINTR)
                finish(k);
        }
    }
    if (!failures.empty()) {
        std::string found;
        for (auto const& [seed, failure] : failures)
            found += (found.empty() ? "" : "; ") + failure;
        throw error(fmt::format("--seeds {} in {} processes", seeds, procs),
                    "every seed's run to finish (the finished ones keep their run "
                    "directories; each worker's output is above, after [seed N])",
                    found);
    }
    std::vector<seed_figures> runs;
    for (auto& [seed, figures] : done)
        runs.push_back(figures);
    return runs;
}

} // namespace pipeline
