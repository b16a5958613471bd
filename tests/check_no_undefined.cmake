# Fails when an object file needs any symbol from outside itself (malloc,
# __cxa_throw, memcpy, sqrt, ...): the core must link with nothing.
# -A: one "file: symbol" line per symbol, no per-file headers (several objects).
execute_process(COMMAND nm -u -A ${OBJECTS} OUTPUT_VARIABLE undefined RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nm failed on ${OBJECTS}")
endif()
string(STRIP "${undefined}" undefined)
if(NOT undefined STREQUAL "")
  message(FATAL_ERROR "core/ needs outside symbols:\n${undefined}")
endif()
message(STATUS "core/ object has no undefined symbols")
