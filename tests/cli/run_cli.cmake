# Runs the forensics binary once and checks its exit code and output.
# -DEXE=... -DARGS="a|b" -DEXPECT_CODE=N [-DEXPECT_OUTPUT=text] [-DEXPECT_STDOUT=text]
# EXPECT_OUTPUT is searched in stdout+stderr; the command must exit normally (a crash fails).
string(REPLACE "|" ";" ARGS "${ARGS}")
execute_process(COMMAND "${EXE}" ${ARGS}
  RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 60)
set(all "${out}${err}")
if(NOT "${code}" STREQUAL "${EXPECT_CODE}")
  message(FATAL_ERROR "exit code ${code}, expected ${EXPECT_CODE}\n--- stdout\n${out}\n--- stderr\n${err}")
endif()
if(DEFINED EXPECT_OUTPUT)
  string(FIND "${all}" "${EXPECT_OUTPUT}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "output lacks: ${EXPECT_OUTPUT}\n--- stdout\n${out}\n--- stderr\n${err}")
  endif()
endif()
if(DEFINED EXPECT_STDOUT)
  string(FIND "${out}" "${EXPECT_STDOUT}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "stdout lacks: ${EXPECT_STDOUT}\n--- stdout\n${out}\n--- stderr\n${err}")
  endif()
endif()
message(STATUS "ok: exit ${code}")
