# The layout test's compiler side is C, so that the C compiler is the judge of every layout.
if(TARGET jitffi_test_signatures)
  target_sources(jitffi_test_signatures PRIVATE ${CMAKE_CURRENT_LIST_DIR}/layout_cases.c)
  set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/layout_cases.c PROPERTIES
    COMPILE_OPTIONS "-std=gnu11")
  # The C library's typedefs as the system headers declare them (test_builtin_typedefs.cpp).
  target_sources(jitffi_test_signatures PRIVATE ${CMAKE_CURRENT_LIST_DIR}/builtin_typedefs.c)
  set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/builtin_typedefs.c PROPERTIES
    COMPILE_OPTIONS "-std=gnu11")
  target_include_directories(jitffi_test_signatures PRIVATE ${CMAKE_CURRENT_LIST_DIR})
endif()
