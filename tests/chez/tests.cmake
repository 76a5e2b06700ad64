# The Chez Scheme library (bindings/chez/jitffi.ss) tested from Scheme: one ctest test per
# tests/chez/*.ss program (jitffi-check.ss is their runner library). run.sh exits 77 (skipped,
# with the reason) when Debian's `scheme` (package chezscheme, see scripts/deps.sh) is missing.
# A cross build cannot load its libjitffi.so into the host's Chez: native builds only (nor a
# ThreadSanitizer one: its runtime cannot be loaded after the start of a process).
if(NOT CMAKE_CROSSCOMPILING AND NOT JITFFI_TSAN)
  set(_chez_env "JITFFI_LIBRARY=$<TARGET_FILE:jitffi>")
  if(JITFFI_SANITIZE)
    # An ASan-instrumented libjitffi.so in an uninstrumented `scheme`: the ASan runtime must be
    # the process's first library, and libstdc++ loaded before it starts (else its __cxa_throw
    # interceptor finds nothing and the first C++ exception aborts). LeakSanitizer cannot see
    # into Chez's heap, where live procedures hold their jitffi handles: leaks are not checked.
    execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=libasan.so
                    OUTPUT_VARIABLE _chez_asan OUTPUT_STRIP_TRAILING_WHITESPACE)
    execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=libstdc++.so.6
                    OUTPUT_VARIABLE _chez_stdcxx OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(NOT IS_ABSOLUTE "${_chez_asan}" OR NOT IS_ABSOLUTE "${_chez_stdcxx}")
      message(FATAL_ERROR "JITFFI_SANITIZE: no ASan runtime or libstdc++ for the Chez tests "
                          "('${_chez_asan}', '${_chez_stdcxx}')")
    endif()
    list(APPEND _chez_env "LD_PRELOAD=${_chez_asan}:${_chez_stdcxx}"
         "ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:strict_string_checks=1")
  endif()
  file(GLOB _chez_tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.ss)
  list(FILTER _chez_tests EXCLUDE REGEX "/jitffi-check\\.ss$")
  foreach(_t IN LISTS _chez_tests)
    get_filename_component(_name ${_t} NAME_WE)
    add_test(NAME chez.${_name}
             COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/run.sh ${PROJECT_SOURCE_DIR} ${_t})
    set_tests_properties(chez.${_name} PROPERTIES
      LABELS chez TIMEOUT 300 SKIP_RETURN_CODE 77
      ENVIRONMENT "${_chez_env};JITFFI_TESTLIB=$<TARGET_FILE:jitffi_testlib>")
  endforeach()
  # The sqlite3 example (bindings/chez/examples/sqlite3.ss) checks its own results.
  add_test(NAME chez.example_sqlite3
           COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/run.sh ${PROJECT_SOURCE_DIR}
                   ${PROJECT_SOURCE_DIR}/bindings/chez/examples/sqlite3.ss)
  set_tests_properties(chez.example_sqlite3 PROPERTIES
    LABELS chez TIMEOUT 300 SKIP_RETURN_CODE 77 ENVIRONMENT "${_chez_env}")
endif()
