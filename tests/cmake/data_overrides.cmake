# Included by the scripts that read data from outside the repository: the environment's
# PIPELINE_SHARED_DATA replaces SHARED (the shared data beside the repository), and its
# PIPELINE_BUILD_DATA sets build_cifar10 to the converted CIFAR-10 under it (the
# bare-clone test points both at empty folders).
if(DEFINED ENV{PIPELINE_SHARED_DATA} AND NOT "$ENV{PIPELINE_SHARED_DATA}" STREQUAL "")
  set(SHARED "$ENV{PIPELINE_SHARED_DATA}")
endif()
set(build_cifar10 "")
if(DEFINED ENV{PIPELINE_BUILD_DATA} AND NOT "$ENV{PIPELINE_BUILD_DATA}" STREQUAL "")
  set(build_cifar10 "$ENV{PIPELINE_BUILD_DATA}/cifar10")
endif()
