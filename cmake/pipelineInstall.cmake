# Installs the headers and a CMake package, so users write
#   find_package(pipeline) / target_link_libraries(app pipeline::pipeline)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(DIRECTORY include/pipeline DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS pipeline pipeline_dsl EXPORT pipelineTargets)
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
