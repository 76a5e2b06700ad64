# compat/ (libffi.so.8 on the JIT): a C client built against the system libffi and run on ours,
# CPython's ctypes suite with ours preloaded, and our own conformance tests (gtest, ffi.h of
# compat/, linked to our library).
if(NOT TARGET jitffi_ffi)
  return()
endif()

set(_compat_dir $<TARGET_FILE_DIR:jitffi_ffi>)

# Under the sanitizers our libffi.so.8 is ASan-instrumented, and the ASan runtime must be the first
# library of a process: the preloading tests preload the runtime before it.
set(_asan_runtime "")
if(JITFFI_SANITIZE)
  execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=libasan.so
                  OUTPUT_VARIABLE _asan_runtime OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT IS_ABSOLUTE "${_asan_runtime}" OR NOT EXISTS "${_asan_runtime}")
    message(FATAL_ERROR "JITFFI_SANITIZE: the compiler does not name its ASan runtime "
                        "(-print-file-name=libasan.so gave '${_asan_runtime}')")
  endif()
endif()
set(_preload ${_compat_dir}/libffi.so.8)
if(_asan_runtime)
  set(_preload "${_asan_runtime}:${_preload}")
endif()

# The client: the system's ffi.h and -lffi, exactly like a program built for Debian's libffi.
add_executable(jitffi_compat_client ${CMAKE_CURRENT_LIST_DIR}/client.c)
target_link_libraries(jitffi_compat_client PRIVATE PkgConfig::LIBFFI ${CMAKE_DL_LIBS})
set_target_properties(jitffi_compat_client PROPERTIES SKIP_BUILD_RPATH ON)
add_dependencies(jitffi_compat_client jitffi_ffi)
# Under qemu-user (the arm64 cross build) qemu sets the loader's variables for the guest only:
# set for the host, they would reach env and qemu (x86-64 programs) first.
set(_guest_env "")
if(CMAKE_CROSSCOMPILING AND CMAKE_CROSSCOMPILING_EMULATOR MATCHES "qemu")
  set(_guest_env "QEMU_SET_ENV=")
endif()
add_test(NAME compat.client.system_libffi COMMAND jitffi_compat_client)
add_test(NAME compat.client.ld_library_path COMMAND jitffi_compat_client --expect-jitffi)
set_tests_properties(compat.client.ld_library_path PROPERTIES
  ENVIRONMENT "${_guest_env}LD_LIBRARY_PATH=${_compat_dir}")
add_test(NAME compat.client.ld_preload COMMAND jitffi_compat_client --expect-jitffi)
set_tests_properties(compat.client.ld_preload PROPERTIES
  ENVIRONMENT "${_guest_env}LD_PRELOAD=${_preload}" FAIL_REGULAR_EXPRESSION "cannot be preloaded")
set_tests_properties(compat.client.system_libffi compat.client.ld_library_path
  compat.client.ld_preload PROPERTIES LABELS compat)

# CPython's ctypes suite, unchanged, with and without our library preloaded: both must pass with
# the same counts, and the preloaded run must have made its calls through the JIT.
find_program(JITFFI_PYTHON3 python3)
add_test(NAME compat.ctypes_suite
  COMMAND ${CMAKE_COMMAND} -DPYTHON=${JITFFI_PYTHON3} -DLIB=${_compat_dir}/libffi.so.8
          -DASAN_RUNTIME=${_asan_runtime} -P ${CMAKE_CURRENT_LIST_DIR}/ctypes_suite.cmake)
set_tests_properties(compat.ctypes_suite PROPERTIES LABELS compat SKIP_RETURN_CODE 77
  SKIP_REGULAR_EXPRESSION "^SKIP: " TIMEOUT 600)

# Conformance tests of every exported function (doc/libffi.texi), against our ffi.h.
file(GLOB _compat_tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.cpp)
if(_compat_tests)
  add_executable(jitffi_test_compat ${_compat_tests})
  target_link_libraries(jitffi_test_compat PRIVATE jitffi_ffi GTest::gtest GTest::gtest_main
                        ${CMAKE_DL_LIBS})
  target_compile_options(jitffi_test_compat PRIVATE -Wno-deprecated-declarations)
  gtest_discover_tests(jitffi_test_compat DISCOVERY_TIMEOUT 60 TEST_PREFIX compat.
                       PROPERTIES LABELS compat)
  # The void-argument tests once more with the real libffi serving every cif and closure.
  add_test(NAME compat.void_argument.libffi_backend
    COMMAND jitffi_test_compat --gtest_filter=VoidArgument.*)
  set_tests_properties(compat.void_argument.libffi_backend PROPERTIES LABELS compat
    ENVIRONMENT "JITFFI_BACKEND=libffi")
endif()

# The "replacing the file" setup of docs/drop-in.md, for real: ours bind-mounted over the system's
# libffi.so.8 in a private mount namespace, the client and a python3 ctypes smoke test run with no
# LD_PRELOAD or LD_LIBRARY_PATH (replace_file.sh). Skipped (77) where no mount namespace can be
# made and under the sanitizers.
if(NOT CMAKE_CROSSCOMPILING)
  add_test(NAME compat.replace_file
    COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/replace_file.sh ${_compat_dir}/libffi.so.8
            $<TARGET_FILE:jitffi_compat_client> "${JITFFI_PYTHON3}" "--sanitize=${_asan_runtime}")
  set_tests_properties(compat.replace_file PROPERTIES LABELS compat SKIP_RETURN_CODE 77
    TIMEOUT 120)
endif()

# libffi's own test suite, fetched at test time, on the system libffi and on ours.
include(${CMAKE_CURRENT_LIST_DIR}/libffi_testsuite.cmake)
