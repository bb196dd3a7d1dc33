# Finds the library's dependencies; shared by the build tree and the installed package
# (pipelineConfig.cmake includes this same file), so a user's find_package(pipeline)
# resolves them exactly as the library's own build does. Besides the packages' own
# targets it defines its own pipeline::fmt, pipeline::stb and pipeline::turbojpeg.
find_package(Threads REQUIRED)

# --- LibTorch: Debian's 1.13 (CPU) or a 2.x, e.g. the one inside PyTorch's wheel. ------
# PyTorch documents CMAKE_PREFIX_PATH=<torch>/share/cmake (torch.utils.cmake_prefix_path).
# From there TorchConfig.cmake finds its libraries with find_library(... PATHS <torch>/lib),
# which CMake searches only after the system directories: with a second LibTorch installed
# system-wide (Debian's libtorch-dev), that one's libtorch.so would be linked against
# this one's headers. Searching <torch> itself as a prefix puts <torch>/lib first.
set(_pipeline_prefixes "")
foreach(_pipeline_prefix IN LISTS CMAKE_PREFIX_PATH)
  list(APPEND _pipeline_prefixes "${_pipeline_prefix}")
  if(_pipeline_prefix MATCHES "^(.*)/share/cmake/?$")
    set(_pipeline_torch_root "${CMAKE_MATCH_1}")
    if(EXISTS "${_pipeline_torch_root}/share/cmake/Torch/TorchConfig.cmake")
      list(APPEND _pipeline_prefixes "${_pipeline_torch_root}")
    endif()
  endif()
endforeach()
set(_pipeline_saved_prefix_path "${CMAKE_PREFIX_PATH}")
set(CMAKE_PREFIX_PATH "${_pipeline_prefixes}")
find_package(Torch REQUIRED)
set(CMAKE_PREFIX_PATH "${_pipeline_saved_prefix_path}")
# Headers and libraries from two different LibTorch installations compile and then crash
# at run time (different class layouts): refuse that at configure time.
foreach(_pipeline_lib IN ITEMS TORCH_LIBRARY c10_LIBRARY)
  string(FIND "${${_pipeline_lib}}" "${TORCH_INSTALL_PREFIX}/" _pipeline_at)
  if(${_pipeline_lib} AND NOT _pipeline_at EQUAL 0)
    message(FATAL_ERROR
      "pipeline: LibTorch's headers come from ${TORCH_INSTALL_PREFIX} but its library "
      "${${_pipeline_lib}} from another installation. Put the LibTorch directory itself "
      "first in CMAKE_PREFIX_PATH (for PyTorch's wheel: "
      "python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))'), "
      "or remove the stale ${_pipeline_lib} entry from CMakeCache.txt.")
  endif()
endforeach()

# --- c10d, PyTorch's distributed engine (Distributed<DDP>). Its Gloo process group's header
# includes Gloo's headers: Debian ships them (libgloo-dev, matching its LibTorch 1.13);
# PyPI's wheels do not, so there the Gloo path needs -DPIPELINE_GLOO_INCLUDE_DIR pointing
# at the Gloo headers the wheel was built with. Each path is compiled in only where its
# header compiles here; without it a data-parallel launch stops with an error saying so.
# The same target carries PIPELINE_CUDA_GRAPHS where a CUDA build's graph-capture headers
# compile (Execute<CudaGraph>; elsewhere the step runs eagerly or the run says why not).
if(NOT TARGET pipeline::c10d)
  include(CheckCXXSourceCompiles)
  find_path(PIPELINE_GLOO_INCLUDE_DIR gloo/rendezvous/store.h
            DOC "Directory holding gloo/ (Gloo's headers, for c10d's Gloo process group)")
  set(_pipeline_c10d_includes ${TORCH_INCLUDE_DIRS})
  if(PIPELINE_GLOO_INCLUDE_DIR)
    list(APPEND _pipeline_c10d_includes "${PIPELINE_GLOO_INCLUDE_DIR}")
  endif()
  set(CMAKE_REQUIRED_INCLUDES ${_pipeline_c10d_includes})
  set(CMAKE_REQUIRED_FLAGS "-std=c++17 ${TORCH_CXX_FLAGS}")
  set(CMAKE_REQUIRED_QUIET ON)
  # Compile only: the check is whether the headers hold together; linking is LibTorch's.
  set(_pipeline_saved_try_type "${CMAKE_TRY_COMPILE_TARGET_TYPE}")
  set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
  check_cxx_source_compiles([[
#define USE_C10D_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
int main() { return sizeof(c10d::ProcessGroupGloo::Options) > 0 ? 0 : 1; }
]] PIPELINE_C10D_GLOO)
  set(_pipeline_c10d_nccl OFF)
  set(_pipeline_cuda_graphs OFF)
  if(TARGET torch_cuda OR CUDA_FOUND)
    check_cxx_source_compiles([[
#define USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
int main() { return sizeof(c10d::ProcessGroupNCCL::Options) > 0 ? 0 : 1; }
]] PIPELINE_C10D_NCCL)
    set(_pipeline_c10d_nccl ${PIPELINE_C10D_NCCL})
    # Execute<CudaGraph>: LibTorch's CUDA-graph capture (ATen/cuda/CUDAGraph.h, the CUDA
    # runtime's headers beside it), with explicit generator registration (2.x).
    check_cxx_source_compiles([[
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
int main() {
  at::cuda::CUDAGraph graph;
  void (at::cuda::CUDAGraph::*r)(const at::Generator&) =
      &at::cuda::CUDAGraph::register_generator_state;
  return r != nullptr ? 0 : 1;
}
]] PIPELINE_CUDA_GRAPHS)
    set(_pipeline_cuda_graphs ${PIPELINE_CUDA_GRAPHS})
  endif()
  unset(CMAKE_REQUIRED_INCLUDES)
  unset(CMAKE_REQUIRED_FLAGS)
  unset(CMAKE_REQUIRED_QUIET)
  set(CMAKE_TRY_COMPILE_TARGET_TYPE "${_pipeline_saved_try_type}")
  add_library(pipeline::c10d INTERFACE IMPORTED GLOBAL)
  set(_pipeline_c10d_definitions "")
  if(PIPELINE_C10D_GLOO)
    list(APPEND _pipeline_c10d_definitions PIPELINE_C10D_GLOO=1)
    if(PIPELINE_GLOO_INCLUDE_DIR)
      set_target_properties(pipeline::c10d PROPERTIES
        INTERFACE_INCLUDE_DIRECTORIES "${PIPELINE_GLOO_INCLUDE_DIR}")
    endif()
  endif()
  if(_pipeline_c10d_nccl)
    list(APPEND _pipeline_c10d_definitions PIPELINE_C10D_NCCL=1)
  endif()
  if(_pipeline_cuda_graphs)
    list(APPEND _pipeline_c10d_definitions PIPELINE_CUDA_GRAPHS=1)
  endif()
  set_target_properties(pipeline::c10d PROPERTIES
    INTERFACE_COMPILE_DEFINITIONS "${_pipeline_c10d_definitions}")
  message(STATUS "pipeline: c10d process groups: Gloo ${PIPELINE_C10D_GLOO}, "
                 "NCCL ${_pipeline_c10d_nccl}; CUDA graphs ${_pipeline_cuda_graphs}")
endif()

find_package(Boost 1.74 REQUIRED)
find_package(range-v3 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(ZLIB REQUIRED)

# --- fmt. LibTorch 2.x from PyTorch ships its own fmt headers (a newer major version) in
# its include directory, which comes before the system's on every compile line; linking
# the system's libfmt against those headers fails (undefined fmt::v12::vformat). So when
# LibTorch's include directories hold an fmt other than the fmt package's, the library
# uses that one header-only; otherwise (Debian's LibTorch, whose headers sit beside the
# system fmt's) it links the fmt package.
find_package(fmt QUIET)
set(_pipeline_fmt_dirs "")
if(TARGET fmt::fmt)
  get_target_property(_pipeline_fmt_dirs fmt::fmt INTERFACE_INCLUDE_DIRECTORIES)
endif()
set(_pipeline_torch_fmt "")
foreach(_pipeline_dir IN LISTS TORCH_INCLUDE_DIRS)
  if(EXISTS "${_pipeline_dir}/fmt/format.h" AND NOT _pipeline_dir IN_LIST _pipeline_fmt_dirs)
    set(_pipeline_torch_fmt "${_pipeline_dir}")
    break()
  endif()
endforeach()
if(NOT TARGET pipeline::fmt)
  add_library(pipeline::fmt INTERFACE IMPORTED GLOBAL)
  if(_pipeline_torch_fmt)
    set_target_properties(pipeline::fmt PROPERTIES
      INTERFACE_COMPILE_DEFINITIONS FMT_HEADER_ONLY=1)
  elseif(TARGET fmt::fmt)
    set_target_properties(pipeline::fmt PROPERTIES INTERFACE_LINK_LIBRARIES fmt::fmt)
  else()
    message(FATAL_ERROR "pipeline: fmt not found (Debian: apt-get install libfmt-dev), and "
                        "this LibTorch (${TORCH_INSTALL_PREFIX}) carries none")
  endif()
endif()

# --- stb (stb_image, stb_image_resize): header-only here, its implementation compiled
# into the translation units that decode images. Debian: libstb-dev.
find_path(PIPELINE_STB_INCLUDE_DIR stb_image.h PATH_SUFFIXES stb
          DOC "Directory holding stb_image.h and stb_image_resize.h")
if(NOT PIPELINE_STB_INCLUDE_DIR OR NOT EXISTS "${PIPELINE_STB_INCLUDE_DIR}/stb_image_resize.h")
  message(FATAL_ERROR
    "pipeline: stb_image.h and stb_image_resize.h not found (Load<ImageFolder<...>> decodes "
    "images with them). On Debian: apt-get install libstb-dev; elsewhere pass "
    "-DPIPELINE_STB_INCLUDE_DIR=<directory holding stb_image.h>.")
endif()
if(NOT TARGET pipeline::stb)
  add_library(pipeline::stb INTERFACE IMPORTED GLOBAL)
  set_target_properties(pipeline::stb PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${PIPELINE_STB_INCLUDE_DIR}")
endif()

# --- libjpeg-turbo (its TurboJPEG API): decodes JPEG for Load<ImageFolder<...>> and the
# classify app (stb_image 2.27's JPEG decoder reads out of bounds on crafted files).
# Debian: libturbojpeg0-dev. Found by path rather than by its CMake package, whose targets
# name /usr, so that a copy unpacked elsewhere (CMAKE_PREFIX_PATH) works too.
find_path(PIPELINE_TURBOJPEG_INCLUDE_DIR turbojpeg.h DOC "Directory holding turbojpeg.h")
find_library(PIPELINE_TURBOJPEG_LIBRARY NAMES turbojpeg DOC "libturbojpeg")
if(NOT PIPELINE_TURBOJPEG_INCLUDE_DIR OR NOT PIPELINE_TURBOJPEG_LIBRARY)
  message(FATAL_ERROR
    "pipeline: libjpeg-turbo's TurboJPEG (turbojpeg.h, libturbojpeg) not found "
    "(Load<ImageFolder<...>> decodes JPEG with it). On Debian: apt-get install "
    "libturbojpeg0-dev; elsewhere pass -DPIPELINE_TURBOJPEG_INCLUDE_DIR=<dir> and "
    "-DPIPELINE_TURBOJPEG_LIBRARY=<file>.")
endif()
if(NOT TARGET pipeline::turbojpeg)
  add_library(pipeline::turbojpeg INTERFACE IMPORTED GLOBAL)
  set_target_properties(pipeline::turbojpeg PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${PIPELINE_TURBOJPEG_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES "${PIPELINE_TURBOJPEG_LIBRARY}")
endif()
