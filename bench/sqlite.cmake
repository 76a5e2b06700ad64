# The sqlite benchmark (issue 7): 100,000 rows through the binding vs linked directly against
# libsqlite3. Included from bench/CMakeLists.txt; needs the bindings and libsqlite3-dev.
if(TARGET jitffi_bindings)
  find_package(SQLite3 REQUIRED)
  add_executable(jitffi_bench_sqlite ${CMAKE_CURRENT_LIST_DIR}/bench_sqlite.cpp)
  target_include_directories(jitffi_bench_sqlite PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(jitffi_bench_sqlite PRIVATE jitffi_bindings SQLite::SQLite3
                        benchmark::benchmark)
  # Instructions per row under callgrind (bench/sqlite_callgrind.py), with valgrind's header.
  find_path(JITFFI_VALGRIND_INCLUDE valgrind/callgrind.h)
  if(JITFFI_VALGRIND_INCLUDE)
    add_executable(jitffi_sqlite_callcount ${CMAKE_CURRENT_LIST_DIR}/sqlite_callcount.cpp)
    target_include_directories(jitffi_sqlite_callcount PRIVATE ${PROJECT_SOURCE_DIR}
                               ${JITFFI_VALGRIND_INCLUDE})
    target_link_libraries(jitffi_sqlite_callcount PRIVATE jitffi_bindings SQLite::SQLite3)
  endif()
endif()
