# MariaDB client binding tests: the real libmariadb.so.3, loaded at run time, against a real
# mariadbd started for the run. One server serves every test process: the ctest fixture
# mariadb_server starts it (jitffi_mariadb_test_server start) before the first test that requires
# it and stops it after the last, with its socket and port in mariadb_server.info; a test binary
# run by hand without that file starts a server of its own. Without mariadb-server installed the
# tests skip and say so. Registered twice: the default back end and libffi alone.
set(_my_dir ${CMAKE_CURRENT_SOURCE_DIR}/bindings_mariadb)
set(JITFFI_MARIADB_SERVER_INFO ${CMAKE_CURRENT_BINARY_DIR}/mariadb_server.info)

add_library(jitffi_mariadb_test_server_lib STATIC ${_my_dir}/server/test_server.cpp)
target_include_directories(jitffi_mariadb_test_server_lib PUBLIC ${_my_dir}/server)
target_link_libraries(jitffi_mariadb_test_server_lib PUBLIC Threads::Threads)
add_executable(jitffi_mariadb_test_server ${_my_dir}/server/main.cpp)
target_link_libraries(jitffi_mariadb_test_server PRIVATE jitffi_mariadb_test_server_lib)

file(GLOB _my_srcs CONFIGURE_DEPENDS ${_my_dir}/*.cpp)
add_executable(jitffi_test_bindings_mariadb ${_my_srcs})
target_link_libraries(jitffi_test_bindings_mariadb PRIVATE jitffi_bindings
  jitffi_mariadb_test_server_lib ${CMAKE_DL_LIBS} Threads::Threads GTest::gtest GTest::gtest_main)
target_compile_definitions(jitffi_test_bindings_mariadb PRIVATE
  JITFFI_TEST_BINARY_DIR="${CMAKE_CURRENT_BINARY_DIR}"
  JITFFI_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
  JITFFI_MARIADB_SERVER_INFO="${JITFFI_MARIADB_SERVER_INFO}")
target_include_directories(jitffi_test_bindings_mariadb PRIVATE ${PROJECT_SOURCE_DIR})

# The layout test compares the binding's MYSQL_BIND/MYSQL_TIME/MYSQL_FIELD offsets with
# libmariadb-dev's headers (include path only, nothing linked). JITFFI_MARIADB_INCLUDE_DIRS names
# them directly (a cross build's private copy); otherwise pkg-config's libmariadb.
set(JITFFI_MARIADB_INCLUDE_DIRS "" CACHE PATH "libmariadb headers for the layout test (default: pkg-config)")
if(JITFFI_MARIADB_INCLUDE_DIRS)
  set(JITFFI_MARIADB_HEADERS_FOUND TRUE)
  set(JITFFI_MARIADB_HEADERS_INCLUDE_DIRS ${JITFFI_MARIADB_INCLUDE_DIRS})
else()
  find_package(PkgConfig QUIET)
  if(PkgConfig_FOUND)
    pkg_check_modules(JITFFI_MARIADB_HEADERS QUIET libmariadb)
  endif()
endif()
if(JITFFI_MARIADB_HEADERS_FOUND)
  target_include_directories(jitffi_test_bindings_mariadb PRIVATE
    ${JITFFI_MARIADB_HEADERS_INCLUDE_DIRS})
  target_compile_definitions(jitffi_test_bindings_mariadb PRIVATE JITFFI_HAVE_MARIADB_HEADERS=1)
endif()

add_test(NAME mariadb_server.start
  COMMAND jitffi_mariadb_test_server start ${JITFFI_MARIADB_SERVER_INFO})
add_test(NAME mariadb_server.stop
  COMMAND jitffi_mariadb_test_server stop ${JITFFI_MARIADB_SERVER_INFO})
set_tests_properties(mariadb_server.start PROPERTIES FIXTURES_SETUP mariadb_server
  LABELS bindings_mariadb TIMEOUT 300)
set_tests_properties(mariadb_server.stop PROPERTIES FIXTURES_CLEANUP mariadb_server
  LABELS bindings_mariadb TIMEOUT 120)

gtest_discover_tests(jitffi_test_bindings_mariadb DISCOVERY_TIMEOUT 60
  TEST_FILTER "-*.DISABLED_*"
  PROPERTIES LABELS bindings_mariadb FIXTURES_REQUIRED mariadb_server TIMEOUT 300)
gtest_discover_tests(jitffi_test_bindings_mariadb DISCOVERY_TIMEOUT 60 TEST_SUFFIX .libffi
  TEST_FILTER "-*.DISABLED_*"
  PROPERTIES LABELS bindings_mariadb FIXTURES_REQUIRED mariadb_server TIMEOUT 300
  ENVIRONMENT JITFFI_BACKEND=libffi)

# The CRUD example against the fixture's server, under both back ends (77: no server, skipped).
# exec runs the program itself, so a cross build names its emulator (no binfmt_misc needed).
if(TARGET jitffi_example_mariadb_crud)
  foreach(_backend auto libffi)
    add_test(NAME example.mariadb_crud.${_backend}
      COMMAND jitffi_mariadb_test_server exec ${JITFFI_MARIADB_SERVER_INFO} --
              ${CMAKE_CROSSCOMPILING_EMULATOR} $<TARGET_FILE:jitffi_example_mariadb_crud>)
    set_tests_properties(example.mariadb_crud.${_backend} PROPERTIES
      LABELS "bindings_mariadb;examples" ENVIRONMENT JITFFI_BACKEND=${_backend} TIMEOUT 120
      FIXTURES_REQUIRED mariadb_server SKIP_RETURN_CODE 77)
  endforeach()
endif()
