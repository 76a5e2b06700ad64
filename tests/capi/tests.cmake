# The C API from a C99 program: one ctest test per CASE(name) in capi_test.c.
add_executable(jitffi_capi_test ${CMAKE_CURRENT_LIST_DIR}/capi_test.c)
set_target_properties(jitffi_capi_test PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON
                                                  C_EXTENSIONS OFF)
# -Wpedantic: jitffi.h must stay plain C99.
target_compile_options(jitffi_capi_test PRIVATE -Wpedantic)
target_link_libraries(jitffi_capi_test PRIVATE jitffi Threads::Threads ${CMAKE_DL_LIBS})
add_dependencies(jitffi_capi_test jitffi_testlib jitffi_test_needs)
target_compile_definitions(jitffi_capi_test PRIVATE
  JITFFI_TESTLIB="$<TARGET_FILE:jitffi_testlib>"
  JITFFI_TEST_NEEDS="$<TARGET_FILE:jitffi_test_needs>")

file(STRINGS ${CMAKE_CURRENT_LIST_DIR}/capi_test.c _capi_cases REGEX "^CASE\\([a-z_0-9]+\\)")
list(TRANSFORM _capi_cases REPLACE "^CASE\\(([a-z_0-9]+)\\).*" "\\1")
foreach(_case IN LISTS _capi_cases)
  add_test(NAME capi.${_case} COMMAND jitffi_capi_test ${_case})
  set_tests_properties(capi.${_case} PROPERTIES LABELS capi TIMEOUT 60)
endforeach()

# Type introspection and the builder, from C11 (offsetof/_Alignof are the judges of layout).
add_executable(jitffi_capi_types_test ${CMAKE_CURRENT_LIST_DIR}/capi_types_test.c)
set_target_properties(jitffi_capi_types_test PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON
                                                        C_EXTENSIONS OFF)
target_compile_options(jitffi_capi_types_test PRIVATE -Wpedantic)
target_link_libraries(jitffi_capi_types_test PRIVATE jitffi Threads::Threads)

file(STRINGS ${CMAKE_CURRENT_LIST_DIR}/capi_types_test.c _capi_type_cases
     REGEX "^CASE\\([a-z_0-9]+\\)")
list(TRANSFORM _capi_type_cases REPLACE "^CASE\\(([a-z_0-9]+)\\).*" "\\1")
foreach(_case IN LISTS _capi_type_cases)
  add_test(NAME capi_types.${_case} COMMAND jitffi_capi_types_test ${_case})
  set_tests_properties(capi_types.${_case} PROPERTIES LABELS capi TIMEOUT 60)
endforeach()

# The case lists come from the sources: a new CASE re-runs the configure step.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${CMAKE_CURRENT_LIST_DIR}/capi_test.c ${CMAKE_CURRENT_LIST_DIR}/capi_types_test.c)
