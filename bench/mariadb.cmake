# The MariaDB benchmark (issue 11): 100,000 rows through the binding vs linked directly against
# libmariadb, against a private mariadbd (the tests' TestServer). Included from
# bench/CMakeLists.txt; needs the bindings, the tests' server library and libmariadb-dev.
if(TARGET jitffi_bindings AND TARGET jitffi_mariadb_test_server_lib)
  find_package(PkgConfig QUIET)
  if(PkgConfig_FOUND)
    pkg_check_modules(JITFFI_LIBMARIADB IMPORTED_TARGET libmariadb)
  endif()
  if(JITFFI_LIBMARIADB_FOUND)
    add_executable(jitffi_bench_mariadb ${CMAKE_CURRENT_LIST_DIR}/bench_mariadb.cpp)
    target_include_directories(jitffi_bench_mariadb PRIVATE ${PROJECT_SOURCE_DIR})
    target_link_libraries(jitffi_bench_mariadb PRIVATE jitffi_bindings
      jitffi_mariadb_test_server_lib PkgConfig::JITFFI_LIBMARIADB benchmark::benchmark)
  endif()
endif()
