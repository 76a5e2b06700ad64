# The sqlite benchmark (issue 7): 100,000 rows through the binding vs linked directly against
# libsqlite3. Included from bench/CMakeLists.txt; needs the bindings and libsqlite3-dev.
if(TARGET jitffi_bindings)
  find_package(SQLite3 REQUIRED)
  add_executable(jitffi_bench_sqlite ${CMAKE_CURRENT_LIST_DIR}/bench_sqlite.cpp)
  target_link_libraries(jitffi_bench_sqlite PRIVATE jitffi_bindings SQLite::SQLite3
                        benchmark::benchmark)
endif()
