# Runs `python3 -m test test_ctypes` without and with LD_PRELOAD=<our libffi.so.8>
# JITFFI_STATS=1 and compares: both SUCCESS, the same run/skipped counts, and JIT calls made.
# Exit code 77 (skipped) only when python3 or its test package is missing.
if(NOT PYTHON OR NOT EXISTS "${PYTHON}")
  message("SKIP: python3 not found")
  cmake_language(EXIT 77)
endif()
execute_process(COMMAND ${PYTHON} -c "import test.libregrtest, ctypes, _ctypes_test"
                RESULT_VARIABLE have_tests OUTPUT_QUIET ERROR_QUIET)
if(NOT have_tests EQUAL 0)
  message("SKIP: python3's test package (test.libregrtest, _ctypes_test) is not installed")
  cmake_language(EXIT 77)
endif()

# With ASAN_RUNTIME (the sanitizer build) that runtime is preloaded first, as ASan requires. The
# interpreter (and a pyenv shim's bash) are not instrumented and leave allocations at exit that
# LeakSanitizer cannot tell from ours, so this run checks memory errors only; leaks of the library
# are the conformance tests' to find.
set(preload_env LD_PRELOAD=${LIB})
if(ASAN_RUNTIME)
  set(asan_options detect_leaks=0)
  if(DEFINED ENV{ASAN_OPTIONS} AND NOT "$ENV{ASAN_OPTIONS}" STREQUAL "")
    set(asan_options "$ENV{ASAN_OPTIONS}:detect_leaks=0")  # the last setting wins
  endif()
  set(preload_env "LD_PRELOAD=${ASAN_RUNTIME}:${LIB}" "ASAN_OPTIONS=${asan_options}")
endif()

function(run_suite out_var preload)
  if(preload)
    set(env ${CMAKE_COMMAND} -E env ${preload_env} JITFFI_STATS=1)
  else()
    set(env ${CMAKE_COMMAND} -E env --unset=LD_PRELOAD)
  endif()
  execute_process(COMMAND ${env} ${PYTHON} -m test test_ctypes
                  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  set(${out_var} "${out}\n${err}" PARENT_SCOPE)
  if(NOT rc EQUAL 0)
    message("${out}\n${err}")
    message(FATAL_ERROR "test_ctypes failed (exit ${rc}) with preload='${preload}'")
  endif()
endfunction()

run_suite(base "")
run_suite(ours "${LIB}")
string(REGEX MATCH "Total tests: run=[0-9]+ skipped=[0-9]+" base_counts "${base}")
string(REGEX MATCH "Total tests: run=[0-9]+ skipped=[0-9]+" our_counts "${ours}")
message("system libffi: ${base_counts}")
message("jitffi libffi: ${our_counts}")
if(NOT base_counts OR NOT base_counts STREQUAL our_counts)
  message(FATAL_ERROR "counts differ: '${base_counts}' vs '${our_counts}'")
endif()
if(NOT ours MATCHES "Result: SUCCESS")
  message(FATAL_ERROR "no SUCCESS under the preload")
endif()
# The suite's own process prints the largest stats line (its subprocesses print zeros).
string(REGEX MATCHALL "calls: jit [0-9]+, libffi [0-9]+" stats "${ours}")
set(best 0)
foreach(item IN LISTS stats)
  if(item MATCHES "calls: jit ([0-9]+), libffi ([0-9]+)" AND CMAKE_MATCH_1 GREATER best)
    set(best ${CMAKE_MATCH_1})
    set(best_line "${item}")
  endif()
endforeach()
message("jitffi stats of the suite: ${best_line}")
if(best LESS 1000)
  message(FATAL_ERROR "the preloaded suite made only ${best} calls through the JIT")
endif()
