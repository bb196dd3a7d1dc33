# Builds and runs a user's project against the library, as MODE says:
#   installed     cmake --install the source tree to a prefix, then find_package(pipeline)
#   subdirectory  add_subdirectory(<source tree>)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
function(run_step)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "step failed: ${ARGV}\n${out}\n${err}")
  endif()
endfunction()
set(consumer ${SOURCE_DIR}/tests/consumer)
if(MODE STREQUAL "installed")
  run_step(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/lib -G ${GENERATOR}
           -DPIPELINE_BUILD_TESTS=OFF -DPIPELINE_BUILD_EXAMPLES=OFF -DPIPELINE_BUILD_BENCH=OFF
           "-DCMAKE_PREFIX_PATH=${PREFIX_PATH}")
  run_step(${CMAKE_COMMAND} --install ${WORK_DIR}/lib --prefix ${WORK_DIR}/prefix)
  run_step(${CMAKE_COMMAND} -S ${consumer} -B ${WORK_DIR}/app -G ${GENERATOR}
           "-DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix;${PREFIX_PATH}")
else()
  run_step(${CMAKE_COMMAND} -S ${consumer} -B ${WORK_DIR}/app -G ${GENERATOR}
           -DPIPELINE_SOURCE_DIR=${SOURCE_DIR} "-DCMAKE_PREFIX_PATH=${PREFIX_PATH}")
endif()
run_step(${CMAKE_COMMAND} --build ${WORK_DIR}/app)
execute_process(COMMAND ${WORK_DIR}/app/consumer --help RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0 OR NOT out MATCHES "experiment: Load<FashionMNIST> \\| Model<ResNet18>")
  message(FATAL_ERROR "consumer --help failed (${rc}):\n${out}")
endif()
message(STATUS "consumer (${MODE}) builds and runs:\n${out}")
