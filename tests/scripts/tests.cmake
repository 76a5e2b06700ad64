# Tests of the scripts/ helpers that need no build product.
add_test(NAME scripts.deps_check
         COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/deps_check_test.sh ${PROJECT_SOURCE_DIR}/scripts/deps.sh)
set_tests_properties(scripts.deps_check PROPERTIES LABELS scripts TIMEOUT 60)
# Per-function coverage of the bindings (tests/scripts/binding_coverage.py): runs the binding
# suites once more (default back end) with JITFFI_BINDING_COVERAGE, and fails when a declared C
# function is called by no test and binding_coverage_allow.txt does not say why. Serial: it runs
# the same tests as the rest of the run. Native x86-64 builds only: the measure works on AArch64
# too (tests/bindings/coverage_test.cpp runs in the cross build), but a second run of every
# binding suite under qemu would double the cross build's test time.
find_package(Python3 COMPONENTS Interpreter QUIET)
if(Python3_FOUND AND TARGET jitffi_test_bindings AND NOT CMAKE_CROSSCOMPILING
   AND CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  add_test(NAME bindings.coverage
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/binding_coverage.py run
            ${PROJECT_BINARY_DIR} --outer-fixture
            --allow ${CMAKE_CURRENT_LIST_DIR}/binding_coverage_allow.txt)
  set_tests_properties(bindings.coverage PROPERTIES LABELS coverage RUN_SERIAL TRUE TIMEOUT 900
    FIXTURES_REQUIRED mariadb_server SKIP_RETURN_CODE 77)
endif()
