# The Chez Scheme library (bindings/chez/jitffi.ss) tested from Scheme: one ctest test per
# tests/chez/*.ss program (jitffi-check.ss is their runner library). run.sh exits 77 (skipped,
# with the reason) when Debian's `scheme` (package chezscheme, see scripts/deps.sh) is missing.
# A cross build cannot load its libjitffi.so into the host's Chez: native builds only. Under
# JITFFI_SANITIZE the library is ASan-instrumented and `scheme` is not: not run there.
if(NOT CMAKE_CROSSCOMPILING AND NOT JITFFI_SANITIZE)
  file(GLOB _chez_tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.ss)
  list(FILTER _chez_tests EXCLUDE REGEX "/jitffi-check\\.ss$")
  foreach(_t IN LISTS _chez_tests)
    get_filename_component(_name ${_t} NAME_WE)
    add_test(NAME chez.${_name}
             COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/run.sh ${PROJECT_SOURCE_DIR} ${_t})
    set_tests_properties(chez.${_name} PROPERTIES
      LABELS chez TIMEOUT 120 SKIP_RETURN_CODE 77
      ENVIRONMENT "JITFFI_LIBRARY=$<TARGET_FILE:jitffi>;JITFFI_TESTLIB=$<TARGET_FILE:jitffi_testlib>")
  endforeach()
  # The sqlite3 example (bindings/chez/examples/sqlite3.ss) checks its own results.
  add_test(NAME chez.example_sqlite3
           COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/run.sh ${PROJECT_SOURCE_DIR}
                   ${PROJECT_SOURCE_DIR}/bindings/chez/examples/sqlite3.ss)
  set_tests_properties(chez.example_sqlite3 PROPERTIES
    LABELS chez TIMEOUT 120 SKIP_RETURN_CODE 77
    ENVIRONMENT "JITFFI_LIBRARY=$<TARGET_FILE:jitffi>")
endif()
