# Installs the headers, the compiled core and a CMake package, so users write
#   find_package(pipeline) / pipeline_add_experiment(app app.cpp)     (the compiled core)
#   find_package(pipeline) / target_link_libraries(app pipeline::pipeline)  (header-only)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(DIRECTORY include/pipeline DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
set(_pipeline_install_targets pipeline pipeline_dsl)
if(TARGET pipeline_core)
  list(APPEND _pipeline_install_targets pipeline_core)
endif()
install(TARGETS ${_pipeline_install_targets} EXPORT pipelineTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(EXPORT pipelineTargets NAMESPACE pipeline::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/pipeline)
configure_package_config_file(cmake/pipelineConfig.cmake.in
  ${PROJECT_BINARY_DIR}/pipelineConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/pipeline)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/pipelineConfigVersion.cmake
  COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(FILES ${PROJECT_BINARY_DIR}/pipelineConfig.cmake
              ${PROJECT_BINARY_DIR}/pipelineConfigVersion.cmake
              cmake/pipelineDependencies.cmake
              cmake/pipelineExperiment.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/pipeline)
