# libffi's own test suite (3.4.4, the version of Debian 12's libffi), fetched at test time by
# scripts/fetch-libffi-testsuite.sh into <build>/libffi-testsuite (sha256-checked; never kept in
# the repository) and run by libffi_testsuite.py: every run test of libffi.call, .closures,
# .complex, .go and .bhaible compiled as libffi's DejaGnu files compile them for
# x86_64-linux-gnu, against the system ffi.h and -lffi, then run on the system libffi and with
# ours in LD_LIBRARY_PATH. It passes when every test that passes on the system libffi passes on
# ours; it is skipped (77) when the source cannot be downloaded. Compiled executables are kept
# under <build>/libffi-testsuite/bin, so only the first run compiles (about 1100 programs).
# Not registered in cross builds (the tests are compiled for and run on the host) nor under the
# sanitizers (the programs would need the ASan runtime preloaded before ours), and only for
# x86-64: the suite's flags and fficonfig.h are those of that target.
if(CMAKE_CROSSCOMPILING OR JITFFI_SANITIZE OR NOT JITFFI_PYTHON3
   OR NOT CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  return()
endif()
add_test(NAME compat.libffi_testsuite
  COMMAND ${JITFFI_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/libffi_testsuite.py
          --lib ${_compat_dir}/libffi.so.8 --work ${CMAKE_BINARY_DIR}/libffi-testsuite
          --fetch ${PROJECT_SOURCE_DIR}/scripts/fetch-libffi-testsuite.sh
          --cc ${CMAKE_C_COMPILER} --cxx ${CMAKE_CXX_COMPILER})
set_tests_properties(compat.libffi_testsuite PROPERTIES LABELS compat SKIP_RETURN_CODE 77
  TIMEOUT 1800)
