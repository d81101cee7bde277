# Runs the forensics binary once and checks its exit code and output.
# -DEXE=... -DARGS="a|b" -DEXPECT_CODE=N [-DEXPECT_OUTPUT=text] [-DEXPECT_STDOUT=text]
# EXPECT_OUTPUT is searched in stdout+stderr; the command must exit normally (a crash fails).
string(REPLACE "|" ";" ARGS "${ARGS}")
execute_process(COMMAND "${EXE}" ${ARGS}
  RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 60)

function(fail what)
  message(FATAL_ERROR "${what}\n--- stdout\n${out}\n--- stderr\n${err}")
endfunction()

function(expect_text haystack needle where)
  string(FIND "${haystack}" "${needle}" at)
  if(at EQUAL -1)
    fail("${where} lacks: ${needle}")
  endif()
endfunction()

if(NOT "${code}" STREQUAL "${EXPECT_CODE}")
  fail("exit code ${code}, expected ${EXPECT_CODE}")
endif()
if(DEFINED EXPECT_OUTPUT)
  expect_text("${out}${err}" "${EXPECT_OUTPUT}" "output")
endif()
if(DEFINED EXPECT_STDOUT)
  expect_text("${out}" "${EXPECT_STDOUT}" "stdout")
endif()
message(STATUS "ok: exit ${code}")
