// The one place where what a program's work throws becomes one line on stderr and exit
// code 1: pipeline::error, LibTorch's c10::Error and anything else.
#pragma once

#include <exception>
#include <iostream>
#include <utility>

#include <torch/torch.h>

#include <pipeline/error.hpp>

namespace pipeline {

//! Runs `work`, turning what it throws into one line on stderr: returns the exit code
//! (0, or 1 after an error).
template <class F>
int guarded(F&& work) {
    try {
        std::forward<F>(work)();
        return 0;
    } catch (pipeline::error const& e) {
        std::cerr << "error: " << e.what() << "\n";
    } catch (c10::Error const& e) {
        std::cerr << "error: LibTorch: " << e.what_without_backtrace() << "\n";
    } catch (std::exception const& e) {
        std::cerr << "error: " << e.what() << "\n";
    }
    return 1;
}

} // namespace pipeline
