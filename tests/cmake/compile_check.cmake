# Compiles SOURCE with -fsyntax-only and checks the outcome against its first line:
#   // EXPECT: BUILDS        it must compile
#   // EXPECT: <regex>       it must fail, and the first `error:` line must match <regex>
# (EXPECT may also be given with -DEXPECT=...). INCLUDES and FLAGS are '|'-separated.
# -DPCH=<header> includes <header> first, read from <header>.gch when that is valid;
# -DPRECOMPILE=ON writes SOURCE.gch instead (with the same flags).
cmake_minimum_required(VERSION 3.20) # a -P script starts with CMake 2.x policies
string(REPLACE "|" ";" includes "${INCLUDES}")
string(REPLACE "|" ";" flags "${FLAGS}")
list(TRANSFORM includes PREPEND "-I")
if(NOT DEFINED EXPECT)
  file(STRINGS ${SOURCE} first_line LIMIT_COUNT 1)
  if(NOT first_line MATCHES "^// EXPECT: (.+)$")
    message(FATAL_ERROR "${SOURCE}: first line must be `// EXPECT: <regex>` or `// EXPECT: BUILDS`")
  endif()
  set(EXPECT "${CMAKE_MATCH_1}")
endif()
if(PRECOMPILE)
  execute_process(
    COMMAND ${CXX} -std=c++20 ${flags} ${includes} -x c++-header ${SOURCE} -o ${SOURCE}.gch
    RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${SOURCE} should precompile but did not:\n${err}")
  endif()
  message(STATUS "precompiled: ${SOURCE}.gch")
  return()
endif()
set(pch "")
if(PCH)
  set(pch -include ${PCH})
endif()
execute_process(
  COMMAND ${CXX} -std=c++20 -fsyntax-only ${flags} ${includes} ${pch} ${SOURCE}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(EXPECT STREQUAL "BUILDS")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${SOURCE} should compile but did not:\n${err}")
  endif()
  message(STATUS "compiles: ${SOURCE}")
  return()
endif()
if(rc EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled, but should fail with: ${EXPECT}")
endif()
string(REPLACE "\n" ";" lines "${err}")
foreach(line IN LISTS lines)
  if(line MATCHES "error:")
    set(first_error "${line}")
    break()
  endif()
endforeach()
if(NOT first_error MATCHES "${EXPECT}")
  message(FATAL_ERROR "${SOURCE}: the first error is not the rule's message.\n"
                      "expected: ${EXPECT}\nfirst error: ${first_error}\n\nfull output:\n${err}")
endif()
message(STATUS "fails as expected: ${first_error}")
