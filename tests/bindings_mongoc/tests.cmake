# MongoDB C driver binding tests: the real libmongoc-1.0.so.0, loaded at run time, with no server
# (none is packaged in Debian). Registered twice, through the default back end and through libffi
# alone. The header test is compiled against libmongoc's headers (include path only, nothing
# linked) to check the constants mongoc.h copies, when pkg-config finds them.
jitffi_test_dir(bindings_mongoc jitffi_bindings ${CMAKE_DL_LIBS} Threads::Threads)
if(TARGET jitffi_test_bindings_mongoc)
  find_package(PkgConfig QUIET)
  if(PkgConfig_FOUND)
    pkg_check_modules(JITFFI_LIBMONGOC_HEADERS QUIET libmongoc-1.0)
  endif()
  if(JITFFI_LIBMONGOC_HEADERS_FOUND)
    target_include_directories(jitffi_test_bindings_mongoc PRIVATE
      ${JITFFI_LIBMONGOC_HEADERS_INCLUDE_DIRS})
    target_compile_definitions(jitffi_test_bindings_mongoc PRIVATE JITFFI_HAVE_MONGOC_HEADERS=1)
  endif()
  gtest_discover_tests(jitffi_test_bindings_mongoc DISCOVERY_TIMEOUT 60 TEST_SUFFIX .libffi
    TEST_FILTER "-*.DISABLED_*" PROPERTIES LABELS bindings_mongoc ENVIRONMENT JITFFI_BACKEND=libffi)
endif()
