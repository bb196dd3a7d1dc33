# Builds and runs a user's project against the library, as MODE says:
#   installed     the library's build tree (BINARY_DIR) installed to a prefix, then
#                 find_package(pipeline): experiments linked with the compiled core
#   header_only   the same installed package, experiments linked with
#                 target_link_libraries(... pipeline::pipeline) alone
#   subdirectory  add_subdirectory(<source tree>), the core built there as a static
#                 library
# Each builds the quick experiment (checked through --help) and an experiment with an
# augmentation and a backbone of the user's own, trained for two short epochs.
cmake_minimum_required(VERSION 3.20) # a -P script starts with CMake 2.x policies
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
function(run_step)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "step failed: ${ARGV}\n${out}\n${err}")
  endif()
endfunction()
# CMAKE_PREFIX_PATH of the user's project: a list, so passed as one quoted argument (a
# function's ${ARGV} would split it at its semicolons and lose every entry but the first:
# the system's LibTorch would then be found instead of the build's). PREFIX_PATH comes
# |-separated.
string(REPLACE "|" ";" prefix_path "${PREFIX_PATH}")
# The user's project is built without optimisation (build type None: no -O flags): what is
# tested is how it finds, links and runs the library, and in the subdirectory mode the
# core's -O3 code generation was most of the suite's longest test.
function(configure_app)
  execute_process(COMMAND ${CMAKE_COMMAND} -S ${consumer} -B ${WORK_DIR}/app -G ${GENERATOR}
                          -DCMAKE_BUILD_TYPE=None
                          ${ARGV} "-DCMAKE_PREFIX_PATH=${app_prefix_path}"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "configuring the consumer failed (${app_prefix_path}):\n${out}\n${err}")
  endif()
endfunction()
set(consumer ${SOURCE_DIR}/tests/consumer)
if(MODE STREQUAL "installed" OR MODE STREQUAL "header_only")
  run_step(${CMAKE_COMMAND} --install ${BINARY_DIR} --prefix ${WORK_DIR}/prefix)
  set(header_only OFF)
  if(MODE STREQUAL "header_only")
    set(header_only ON)
  endif()
  set(app_prefix_path ${WORK_DIR}/prefix ${prefix_path})
  configure_app(-DCONSUMER_HEADER_ONLY=${header_only})
else()
  set(app_prefix_path ${prefix_path})
  configure_app(-DPIPELINE_SOURCE_DIR=${SOURCE_DIR} -DPIPELINE_CORE_SHARED=OFF)
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
# Header-only, an experiment file compiles what its type names (dsl/spec.hpp, "what the
# type names"): no image decoder, MobileNet, AdamW, comparison or roadmap code in either
# executable, whose types name none of them.
if(MODE STREQUAL "header_only")
  find_program(nm NAMES nm)
  if(NOT nm)
    message(FATAL_ERROR "nm not found: the header-only check reads the executables' symbols")
  endif()
  foreach(exe IN ITEMS consumer custom_stages)
    execute_process(COMMAND ${nm} -C ${WORK_DIR}/app/${exe} OUTPUT_VARIABLE symbols
                    RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0 OR NOT symbols MATCHES "pipeline::builtin::load<")
      message(FATAL_ERROR "nm -C ${exe} failed (${rc}) or lists no pipeline::builtin::load<...> (the dataset code its record names)")
    endif()
    foreach(unnamed IN ITEMS "pipeline::image_folder::" "MobileNetV" "multi_tensor_adamw"
                             "compare_experiments" "run_roadmap")
      string(FIND "${symbols}" "${unnamed}" at)
      if(NOT at EQUAL -1)
        message(FATAL_ERROR "header-only ${exe} compiled code its type does not name: "
                            "'${unnamed}' among its symbols")
      endif()
    endforeach()
  endforeach()
endif()
message(STATUS "consumer (${MODE}) builds and runs:\n${out}\n${trained}")
