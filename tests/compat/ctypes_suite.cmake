# Runs `python3 -m test test_ctypes` without and with LD_PRELOAD=<our libffi.so.8>
# JITFFI_STATS=<file> and compares: both SUCCESS, the same run/skipped counts, and calls and
# closure calls made through the JIT, summed over every process of the run.
# Exit code 77 (skipped) only when python3 or its test package is missing, or when the only
# python3 runs on another machine than the library (the arm64 cross build: its tests run under
# qemu-aarch64, and there is no arm64 python3 here to run under it).
# A skip prints "SKIP: why" first and exits with 77; CMake before 3.29 has no way to set the exit
# code of a script, and there ctest's SKIP_REGULAR_EXPRESSION "^SKIP: " (tests.cmake) marks it.
macro(skip why)
  message("SKIP: ${why}")
  if(CMAKE_VERSION VERSION_GREATER_EQUAL 3.29)
    cmake_language(EXIT 77)
  endif()
  return()
endmacro()

if(NOT PYTHON OR NOT EXISTS "${PYTHON}")
  skip("python3 not found")
endif()
if(NOT EXISTS "${LIB}")
  message(FATAL_ERROR "no library at ${LIB}")
endif()
# e_machine, bytes 18-19 of the ELF header (little-endian): 0x3e x86-64, 0xb7 AArch64.
file(READ "${LIB}" elf_header LIMIT 20 HEX)
string(SUBSTRING "${elf_header}" 36 4 e_machine)
if(e_machine STREQUAL "3e00")
  set(lib_machine x86_64)
elseif(e_machine STREQUAL "b700")
  set(lib_machine aarch64)
else()
  message(FATAL_ERROR "${LIB}: not an x86-64 or AArch64 ELF file (e_machine bytes ${e_machine})")
endif()
execute_process(COMMAND ${PYTHON} -c "import platform; print(platform.machine())"
                OUTPUT_VARIABLE python_machine OUTPUT_STRIP_TRAILING_WHITESPACE
                RESULT_VARIABLE python_rc ERROR_QUIET)
if(NOT python_rc EQUAL 0)
  message(FATAL_ERROR "${PYTHON} does not run (exit ${python_rc})")
endif()
if(NOT python_machine STREQUAL lib_machine)
  skip("${LIB} is for ${lib_machine} but ${PYTHON} runs on ${python_machine}: no "
       "${lib_machine} python3 to preload it into (cross build)")
endif()
execute_process(COMMAND ${PYTHON} -c "import test.libregrtest, ctypes, _ctypes_test"
                RESULT_VARIABLE have_tests OUTPUT_QUIET ERROR_QUIET)
if(NOT have_tests EQUAL 0)
  skip("python3's test package (test.libregrtest, _ctypes_test) is not installed")
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

# Every process of the preloaded run (the suite spawns interpreters of its own) appends its
# JITFFI_STATS line to this file; the sums say what the whole run did.
string(RANDOM LENGTH 8 stats_tag)
set(stats_file "${CMAKE_CURRENT_BINARY_DIR}/compat_ctypes_stats_${stats_tag}.txt")
file(REMOVE "${stats_file}")

function(run_suite out_var preload)
  if(preload)
    set(env ${CMAKE_COMMAND} -E env ${preload_env} JITFFI_STATS=${stats_file})
  else()
    set(env ${CMAKE_COMMAND} -E env --unset=LD_PRELOAD)
  endif()
  execute_process(COMMAND ${env} ${PYTHON} -m test test_ctypes
                  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  set(${out_var} "${out}\n${err}" PARENT_SCOPE)
  if(NOT rc EQUAL 0)
    file(REMOVE "${stats_file}")
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
# The sums over every process's line.
if(NOT EXISTS "${stats_file}")
  message(FATAL_ERROR "no process of the preloaded suite wrote JITFFI_STATS=${stats_file}")
endif()
file(STRINGS "${stats_file}" stats_lines)
file(REMOVE "${stats_file}")
set(fields stubs calls_jit calls_libffi closures_jit closures_libffi closure_calls_jit
           closure_calls_libffi)
foreach(f IN LISTS fields)
  set(sum_${f} 0)
endforeach()
set(processes 0)
string(CONCAT stats_re "^jitffi stats \\[pid [0-9]+ .*\\]: stubs compiled ([0-9]+); "
       "calls: jit ([0-9]+), libffi ([0-9]+); closures: jit ([0-9]+), libffi ([0-9]+); "
       "closure calls: jit ([0-9]+), libffi ([0-9]+)$")
foreach(line IN LISTS stats_lines)
  if(NOT line MATCHES "${stats_re}")
    message(FATAL_ERROR "not a JITFFI_STATS line: '${line}'")
  endif()
  set(k 1)
  foreach(f IN LISTS fields)
    math(EXPR sum_${f} "${sum_${f}} + ${CMAKE_MATCH_${k}}")
    math(EXPR k "${k} + 1")
  endforeach()
  math(EXPR processes "${processes} + 1")
endforeach()
message("jitffi stats of the suite, ${processes} processes: stubs compiled ${sum_stubs}; "
        "calls: jit ${sum_calls_jit}, libffi ${sum_calls_libffi}; closures: jit "
        "${sum_closures_jit}, libffi ${sum_closures_libffi}; closure calls: jit "
        "${sum_closure_calls_jit}, libffi ${sum_closure_calls_libffi}")
if(sum_calls_jit LESS 1000)
  message(FATAL_ERROR "the preloaded suite made only ${sum_calls_jit} calls through the JIT")
endif()
if(sum_closure_calls_jit LESS 100)
  message(FATAL_ERROR "the preloaded suite made only ${sum_closure_calls_jit} closure calls "
                      "through the JIT")
endif()
