# The README's test command on a bare clone: runs the tests matching REGEX (those that
# read the shared data beside the repository) in a nested ctest of BUILD, with
# PIPELINE_SHARED_DATA and PIPELINE_BUILD_DATA pointing at empty folders under EMPTY. Each
# must be reported as skipped; a failed or passed one (it found data it should not have,
# or did not notice it was missing) fails this test.
cmake_minimum_required(VERSION 3.20) # a -P script starts with CMake 2.x policies
file(REMOVE_RECURSE ${EMPTY})
file(MAKE_DIRECTORY ${EMPTY}/shared ${EMPTY}/build-data)
set(ENV{PIPELINE_SHARED_DATA} ${EMPTY}/shared)
set(ENV{PIPELINE_BUILD_DATA} ${EMPTY}/build-data)
execute_process(COMMAND ${CTEST} --test-dir ${BUILD} -R "${REGEX}" -E "^data/bare_clone$"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
string(REGEX MATCHALL "Test +#[0-9]+: [^\n]*" lines "${out}")
list(LENGTH lines total)
string(REGEX MATCHALL "\\*\\*\\*Skipped" skipped "${out}")
list(LENGTH skipped n_skipped)
if(total LESS 7)
  message(FATAL_ERROR "expected the 7 kinds of data-dependent tests to run, found ${total}")
endif()
if(NOT n_skipped EQUAL total)
  message(FATAL_ERROR "${n_skipped} of ${total} data-dependent tests skipped on a bare clone; every one must")
endif()
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the nested ctest failed (${rc})")
endif()
message("bare clone: all ${total} data-dependent tests skipped")
