# Converts the shared CIFAR-10 JPEG copy (SHARED/cifar10-jpeg.tar.xz) into the official
# binary layout under OUT/cifar-10-batches-bin, once: an existing conversion is kept.
# Prints "SKIPPED: ..." (the test is then reported as skipped) when the copy is absent.
# PIPELINE_SHARED_DATA and PIPELINE_BUILD_DATA in the environment move SHARED and OUT (the
# bare-clone test points them at empty folders).
cmake_minimum_required(VERSION 3.20) # a -P script starts with CMake 2.x policies
include(${CMAKE_CURRENT_LIST_DIR}/data_overrides.cmake)
if(build_cifar10)
  set(OUT ${build_cifar10})
endif()
set(dir ${OUT}/cifar-10-batches-bin)
if(EXISTS ${dir}/test_batch.bin AND EXISTS ${dir}/data_batch_5.bin)
  message(STATUS "CIFAR-10 binary batches present in ${dir}")
  return()
endif()
if(NOT EXISTS ${SHARED}/cifar10-jpeg.tar.xz OR NOT EXISTS ${SHARED}/cifar10-to-bin.py)
  message(STATUS "SKIPPED: ${SHARED}/cifar10-jpeg.tar.xz is absent")
  return()
endif()
# Convert into a private directory, then rename: an interrupted run leaves nothing behind.
set(tmp ${OUT}.tmp-fixture)
file(REMOVE_RECURSE ${tmp})
execute_process(COMMAND ${PYTHON} ${SHARED}/cifar10-to-bin.py ${SHARED}/cifar10-jpeg.tar.xz ${tmp}
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "converting ${SHARED}/cifar10-jpeg.tar.xz failed (needs ${PYTHON} with python3-pil)")
endif()
file(REMOVE_RECURSE ${OUT})
file(RENAME ${tmp} ${OUT})
message(STATUS "CIFAR-10 binary batches written to ${dir}")
