// Progress within an epoch, so a long one is not silent: on a terminal a bar redrawn in
// place (steps, images per second, running loss, time left), otherwise a plain line every
// half minute. Reading the running loss synchronises with the device, so it happens only
// when a line is printed, never every step.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <iostream>
#include <ostream>
#include <string>

#include <fmt/format.h>
#include <unistd.h>

namespace pipeline {

//! How an epoch reports its progress.
class epoch_progress {
public:
    //! `log` nullptr: silent. A terminal is `log == &std::cout` with stdout a TTY; it is
    //! redrawn every half second, other logs get a line every `interval` seconds.
    epoch_progress(std::ostream* log, int epoch, std::int64_t steps,
                   std::int64_t batch_size, double interval = 30.0)
        : log_(log)
        , epoch_(epoch)
        , steps_(steps)
        , batch_(batch_size)
        , tty_(log == &std::cout && ::isatty(STDOUT_FILENO) != 0)
        , interval_(tty_ ? 0.5 : interval)
        , started_(clock::now())
        , last_(started_) {}

    //! After `done` of the epoch's steps: prints if the interval has passed, reading the
    //! running loss from `loss` (a host read of a device value: only when it prints).
    void update(std::int64_t done, std::function<double()> const& loss_so_far) {
        if (!log_ || done >= steps_)
            return;
        auto const now = clock::now();
        if (seconds(last_, now) < interval_)
            return;
        last_ = now;
        double const elapsed = seconds(started_, now);
        double const rate = static_cast<double>(done * batch_) / elapsed;
        double const left =
            elapsed / static_cast<double>(done) * static_cast<double>(steps_ - done);
        auto const loss = loss_so_far();
        if (tty_) {
            int const width = 24;
            auto const filled = static_cast<int>(width * done / steps_);
            *log_ << fmt::format("\r  epoch {} [{}{}] {}/{} | {:.0f} img/s | loss {:.4f} | "
                                 "{} left ",
                                 epoch_, std::string(static_cast<std::size_t>(filled), '='),
                                 std::string(static_cast<std::size_t>(width - filled), ' '),
                                 done, steps_, rate, loss, clock_text(left))
                  << std::flush;
            drawn_ = true;
        } else {
            *log_ << fmt::format("  epoch {}: {}/{} steps ({:.0f}%) | {:.0f} img/s | loss "
                                 "{:.4f} | {} left\n",
                                 epoch_, done, steps_,
                                 100.0 * static_cast<double>(done)
                                     / static_cast<double>(steps_),
                                 rate, loss, clock_text(left))
                  << std::flush;
        }
    }

    //! Clears the bar (on a terminal) before the epoch's row is printed.
    void finish() {
        if (log_ && drawn_)
            *log_ << "\r" << std::string(100, ' ') << "\r" << std::flush;
        drawn_ = false;
    }

private:
    using clock = std::chrono::steady_clock;

    static double seconds(clock::time_point a, clock::time_point b) {
        return std::chrono::duration<double>(b - a).count();
    }

    static std::string clock_text(double s) {
        auto const total = static_cast<long>(s + 0.5);
        return total >= 3600 ? fmt::format("{}:{:02}:{:02}", total / 3600, total / 60 % 60,
                                           total % 60)
                             : fmt::format("{}:{:02}", total / 60, total % 60);
    }

    std::ostream* log_;
    int epoch_;
    std::int64_t steps_;
    std::int64_t batch_;
    bool tty_;
    double interval_;
    clock::time_point started_;
    clock::time_point last_;
    bool drawn_ = false;
};

} // namespace pipeline
