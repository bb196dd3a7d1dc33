# Finds the library's dependencies; shared by the build tree and the installed package
# (pipelineConfig.cmake includes the same list through find_dependency).
include(CMakeFindDependencyMacro)
find_package(Threads REQUIRED)
find_package(Torch REQUIRED)
find_package(Boost 1.74 REQUIRED)
find_package(range-v3 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(ZLIB REQUIRED)
find_package(fmt REQUIRED)
