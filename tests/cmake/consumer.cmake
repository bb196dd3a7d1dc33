# Builds and runs a user's project against the library, as MODE says:
#   installed     the library's build tree (BINARY_DIR) installed to a prefix, then
#                 find_package(pipeline): experiments linked with the compiled core
#   header_only   the same installed package, experiments linked with
#                 target_link_libraries(... pipeline::pipeline) alone
#   subdirectory  add_subdirectory(<source tree>), the core built there as a static
#                 library
# Each builds the quick experiment (checked through --help) and an experiment with an
# augmentation and a backbone of the user's own, trained for two short epochs.
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
function(run_step)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "step failed: ${ARGV}\n${out}\n${err}")
  endif()
endfunction()
set(consumer ${SOURCE_DIR}/tests/consumer)
if(MODE STREQUAL "installed" OR MODE STREQUAL "header_only")
  run_step(${CMAKE_COMMAND} --install ${BINARY_DIR} --prefix ${WORK_DIR}/prefix)
  set(header_only OFF)
  if(MODE STREQUAL "header_only")
    set(header_only ON)
  endif()
  run_step(${CMAKE_COMMAND} -S ${consumer} -B ${WORK_DIR}/app -G ${GENERATOR}
           -DCONSUMER_HEADER_ONLY=${header_only}
           "-DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix;${PREFIX_PATH}")
else()
  run_step(${CMAKE_COMMAND} -S ${consumer} -B ${WORK_DIR}/app -G ${GENERATOR}
           -DPIPELINE_SOURCE_DIR=${SOURCE_DIR} -DPIPELINE_CORE_SHARED=OFF
           "-DCMAKE_PREFIX_PATH=${PREFIX_PATH}")
endif()
run_step(${CMAKE_COMMAND} --build ${WORK_DIR}/app)
execute_process(COMMAND ${WORK_DIR}/app/consumer --help RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0 OR NOT out MATCHES "experiment: Load<FashionMNIST> \\| Model<ResNet18>")
  message(FATAL_ERROR "consumer --help failed (${rc}):\n${out}")
endif()
execute_process(
  COMMAND ${WORK_DIR}/app/custom_stages --device cpu --threads 1 --limit 512 --eval-limit 128
          --out-dir ${WORK_DIR}/runs
  RESULT_VARIABLE rc OUTPUT_VARIABLE trained ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT trained MATCHES "Augment<my::Brightness>|Augment<Brightness>"
   OR NOT trained MATCHES "model: TinyNet .*test: loss [0-9.]+ \\| accuracy")
  message(FATAL_ERROR "custom_stages failed (${rc}):\n${trained}\n${err}")
endif()
message(STATUS "consumer (${MODE}) builds and runs:\n${out}\n${trained}")
