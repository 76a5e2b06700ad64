# libbson binding tests: the real libbson-1.0.so.0, loaded at run time. Registered twice, through
# the default back end and through libffi alone. The layout test is compiled against libbson's
# headers (include path only, nothing linked) to check the opaque buffer sizes in bson.h.
jitffi_test_dir(bindings_bson jitffi_bindings ${CMAKE_DL_LIBS} Threads::Threads)
if(TARGET jitffi_test_bindings_bson)
  # JITFFI_LIBBSON_INCLUDE_DIRS names the headers directly (the cross build unpacks arm64's
  # libbson privately: Debian 12 cannot install it beside the host's); otherwise pkg-config.
  set(JITFFI_LIBBSON_INCLUDE_DIRS "" CACHE PATH "libbson headers for the layout test (default: pkg-config)")
  if(JITFFI_LIBBSON_INCLUDE_DIRS)
    set(JITFFI_LIBBSON_HEADERS_FOUND TRUE)
    set(JITFFI_LIBBSON_HEADERS_INCLUDE_DIRS ${JITFFI_LIBBSON_INCLUDE_DIRS})
  else()
    find_package(PkgConfig QUIET)
    if(PkgConfig_FOUND)
      pkg_check_modules(JITFFI_LIBBSON_HEADERS QUIET libbson-1.0)
    endif()
  endif()
  if(JITFFI_LIBBSON_HEADERS_FOUND)
    target_include_directories(jitffi_test_bindings_bson PRIVATE
      ${JITFFI_LIBBSON_HEADERS_INCLUDE_DIRS})
    target_compile_definitions(jitffi_test_bindings_bson PRIVATE JITFFI_HAVE_BSON_HEADERS=1)
  endif()
  gtest_discover_tests(jitffi_test_bindings_bson DISCOVERY_TIMEOUT 60 TEST_SUFFIX .libffi
    PROPERTIES LABELS bindings_bson ENVIRONMENT JITFFI_BACKEND=libffi)
endif()
# The BSON/JSON converter example (examples/bson_json.cpp) on examples/data, under both back ends;
# examples/bson_json_check.cmake runs it and compares its output with the expected files.
# The script runs the converter itself: a cross build's emulator is passed along ('|' for ';').
if(TARGET jitffi_example_bson_json)
  string(REPLACE ";" "|" _emulator "${CMAKE_CROSSCOMPILING_EMULATOR}")
  foreach(_backend auto libffi)
    add_test(NAME example.bson_json.${_backend}
      COMMAND ${CMAKE_COMMAND} -DEXE=$<TARGET_FILE:jitffi_example_bson_json>
        "-DEMULATOR=${_emulator}"
        -DDATA=${PROJECT_SOURCE_DIR}/examples/data
        -DWORK=${CMAKE_CURRENT_BINARY_DIR}/bson_json_${_backend}
        -P ${PROJECT_SOURCE_DIR}/examples/bson_json_check.cmake)
    set_tests_properties(example.bson_json.${_backend} PROPERTIES
      LABELS "bindings_bson;examples" ENVIRONMENT JITFFI_BACKEND=${_backend} TIMEOUT 60
      SKIP_REGULAR_EXPRESSION "SKIP: ")
  endforeach()
endif()
