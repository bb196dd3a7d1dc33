# Runs COMMAND (a |-separated list) when the converted CIFAR-10 batches are in DATA
# (DATA/cifar-10-batches-bin/test_batch.bin), else prints "SKIPPED: ..." (the test is then
# reported as skipped, SKIP_REGULAR_EXPRESSION) and succeeds. The data comes from the
# shared JPEG copy beside the repository (the data/cifar10-binary fixture converts it); a
# bare clone has none. PIPELINE_BUILD_DATA in the environment moves DATA (the bare-clone
# test uses it). The command's output is printed for the test's own pass expression.
cmake_minimum_required(VERSION 3.20) # a -P script starts with CMake 2.x policies
include(${CMAKE_CURRENT_LIST_DIR}/data_overrides.cmake)
if(build_cifar10)
  set(DATA ${build_cifar10})
endif()
if(NOT EXISTS ${DATA}/cifar-10-batches-bin/test_batch.bin)
  message("SKIPPED: no CIFAR-10 in ${DATA} (it is converted from ../shared/data/cifar10-jpeg.tar.xz, absent here)")
  return()
endif()
# -DNEEDS_BF16=ON: the command computes in bfloat16 on the CPU, which is only practical
# where oneDNN has bfloat16 kernels (AVX-512 BW/VL/DQ, as LibTorch's
# mkldnn_bf16_device_check asks). Without them every bfloat16 convolution is emulated:
# a ResNet-18 step on 28x28 images took 7.5 s against float32's 0.45 s on an AVX2-only
# EPYC, and cifar10_fast's one smoke step ran for over 7 minutes without ending.
if(NEEDS_BF16 AND EXISTS /proc/cpuinfo)
  file(STRINGS /proc/cpuinfo flags REGEX "^flags" LIMIT_COUNT 1)
  foreach(flag IN ITEMS avx512bw avx512vl avx512dq)
    if(NOT flags MATCHES " ${flag}( |$)")
      message("SKIPPED: this CPU has no ${flag} (/proc/cpuinfo): oneDNN has no bfloat16 kernels for it, and bfloat16 emulated op by op would take tens of minutes here")
      return()
    endif()
  endforeach()
endif()
string(REPLACE "|" ";" command "${COMMAND}")
string(REPLACE "@DATA@" "${DATA}" command "${command}")
execute_process(COMMAND ${command} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${command} exited with ${rc}")
endif()
