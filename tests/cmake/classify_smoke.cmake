# The app end to end, as a user runs it: cifar10_augment trains a model (a smoke run),
# then classify prints the top classes of three CIFAR-10 test images (JPEG, from the shared
# copy), refuses a missing image with one line and exit code 1, and writes the per-class
# report of 50 labelled test images (classify --report), naming the hardest by file.
# Arguments: TRAIN, CLASSIFY (executables), DATA (converted CIFAR-10), SHARED, OUT.
# Without the data (a bare clone; PIPELINE_SHARED_DATA and PIPELINE_BUILD_DATA in the
# environment move SHARED and DATA) it prints "SKIPPED: ..." and the test is skipped.
cmake_minimum_required(VERSION 3.20) # a -P script starts with CMake 2.x policies
include(${CMAKE_CURRENT_LIST_DIR}/data_overrides.cmake)
if(build_cifar10)
  set(DATA ${build_cifar10})
endif()
if(NOT EXISTS ${DATA}/cifar-10-batches-bin/test_batch.bin OR NOT EXISTS ${SHARED}/cifar10-jpeg.tar.xz)
  message("SKIPPED: no CIFAR-10 in ${DATA} or no ${SHARED}/cifar10-jpeg.tar.xz (the shared data beside the repository)")
  return()
endif()
file(REMOVE_RECURSE ${OUT})
file(MAKE_DIRECTORY ${OUT}/images)
execute_process(COMMAND ${TRAIN} --device cpu --threads 2 --epochs 2 --limit 512
                        --eval-limit 256 --data-dir ${DATA} --out-dir ${OUT}/runs
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cifar10_augment failed (${rc})")
endif()
file(GLOB model ${OUT}/runs/*/model.safetensors)
list(LENGTH model n)
if(NOT n EQUAL 1)
  message(FATAL_ERROR "expected one model.safetensors under ${OUT}/runs, found ${n}")
endif()
set(images test/airplane/0000.jpg test/cat/0000.jpg test/ship/0000.jpg)
execute_process(COMMAND tar -xJf ${SHARED}/cifar10-jpeg.tar.xz --wildcards test/*/000[0-4].jpg
                WORKING_DIRECTORY ${OUT}/images RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "could not extract ${images} from ${SHARED}/cifar10-jpeg.tar.xz")
endif()
list(TRANSFORM images PREPEND ${OUT}/images/)
get_filename_component(run ${model} DIRECTORY)
execute_process(COMMAND ${CLASSIFY} ${run} ${images} --top 3
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "classify failed (${rc})")
endif()
execute_process(COMMAND ${CLASSIFY} ${model} ${OUT}/images/missing.jpg
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 1 OR NOT err MATCHES "missing.jpg: expected an image file .*found no such file")
  message(FATAL_ERROR "a missing image: expected exit code 1 and one error line, found ${rc}: ${err}")
endif()
message("missing image: ${err}")

execute_process(COMMAND ${CLASSIFY} ${run} --report ${OUT}/images/test
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0 OR NOT out MATCHES "report: 50 images of ")
  message(FATAL_ERROR "classify --report: expected a report of 50 images, found ${rc}: ${out}${err}")
endif()
file(READ ${run}/report-test/report.md report)
if(NOT report MATCHES "\\| (airplane|automobile|bird|cat|deer|dog|frog|horse|ship|truck)/000[0-4]\\.jpg \\|")
  message(FATAL_ERROR "report-test/report.md names no test image by file:\n${report}")
endif()
if(NOT EXISTS ${run}/report-test/confusion.svg OR NOT EXISTS ${run}/report.md)
  message(FATAL_ERROR "classify --report: no confusion.svg, or the run's own report.md is gone")
endif()
file(MAKE_DIRECTORY ${OUT}/images/test/kitten)
execute_process(COMMAND ${CLASSIFY} ${run} --report ${OUT}/images/test
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 1 OR NOT err MATCHES "kitten: expected a folder named as one of the model's classes")
  message(FATAL_ERROR "a folder of no class: expected exit code 1 and one error line, found ${rc}: ${err}")
endif()
message("folder of no class: ${err}")
