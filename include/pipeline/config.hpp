// How the library is compiled: header-only (the default), or with its core compiled once
// into a library (`PIPELINE_SEPARATE_COMPILATION`, which the CMake target pipeline::core
// defines for everything that links it), as Boost.Asio and {fmt} offer it. The typed
// front (the pipeline types, their rules, `run`, `compare`, ...) is header-only either
// way; what changes is where the core's definitions (the loop, the data, the models, the
// run record, the command line) are compiled: in every program that includes them, or
// once in `pipeline::core`. Torch-free.
#pragma once

#if defined(PIPELINE_SEPARATE_COMPILATION)
//! The core's entry points are declared in headers and defined once, in the library.
#define PIPELINE_DECL
#else
//! Header-only: the core's definitions come with the headers, inline.
#define PIPELINE_HEADER_ONLY 1
#define PIPELINE_DECL inline
#endif

//! Marks the declarations of built-in code that header-only records point at
//! (dsl/spec.hpp, "what the type names") as weak references, so that a torch-free file
//! that reads a record links without the core's definitions.
#if defined(__GNUC__) || defined(__clang__)
#define PIPELINE_WEAK_REFERENCE __attribute__((weak))
#else
#define PIPELINE_WEAK_REFERENCE
#endif
