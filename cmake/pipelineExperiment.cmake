# pipeline_add_experiment(<name> <source>...)
#
# An executable for a pipeline experiment. With the compiled core (pipeline::core, built
# by default and installed with the package) it links that: the experiment's translation
# unit is then the type layer and one call into the core, with no torch header, so a
# one-line edit recompiles in a few seconds. Without it (a package built with
# -DPIPELINE_BUILD_CORE=OFF) it links the header-only pipeline::pipeline and reuses one
# precompiled <torch/torch.h> shared by every experiment of the project. Available after
# find_package(pipeline) and after add_subdirectory(<pipeline source> pipeline).
function(pipeline_add_experiment name)
  if(NOT ARGN)
    message(FATAL_ERROR "pipeline_add_experiment(${name} <source>...): no source given")
  endif()
  add_executable(${name} ${ARGN})
  if(TARGET pipeline::core)
    target_link_libraries(${name} PRIVATE pipeline::core)
    return()
  endif()
  get_property(pch GLOBAL PROPERTY PIPELINE_EXPERIMENT_PCH)
  if(NOT pch OR NOT TARGET ${pch})
    set(pch pipeline_experiment_pch)
    set(source ${CMAKE_BINARY_DIR}/pipeline_experiment_pch.cpp)
    if(NOT EXISTS ${source})
      file(WRITE ${source} "// Owns the precompiled <torch/torch.h> the experiments reuse.\n")
    endif()
    add_library(${pch} OBJECT ${source})
    target_link_libraries(${pch} PUBLIC pipeline::pipeline)
    target_precompile_headers(${pch} PUBLIC <torch/torch.h>)
    set_property(GLOBAL PROPERTY PIPELINE_EXPERIMENT_PCH ${pch})
  endif()
  target_link_libraries(${name} PRIVATE pipeline::pipeline)
  target_precompile_headers(${name} REUSE_FROM ${pch})
endfunction()
