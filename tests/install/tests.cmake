# Installs the build into a temporary prefix and builds two consumers against it: one with
# find_package(jitffi) (C++), one with pkg-config jitffi (C). Not under the sanitizers: the
# consumers are built without them and could not load an ASan-instrumented library.
if(JITFFI_SANITIZE OR CMAKE_CROSSCOMPILING)  # cross builds: the consumers would need the toolchain
  return()
endif()
set(_jitffi_install_tool no)
if(TARGET jitffi_tool)
  set(_jitffi_install_tool yes)
endif()
set(_jitffi_install_bindings no)
if(TARGET jitffi_bindings_shared)
  set(_jitffi_install_bindings yes)
endif()
add_test(NAME install.find_package_and_pkg_config
         COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/run.sh ${PROJECT_BINARY_DIR}
                 ${CMAKE_CURRENT_LIST_DIR} ${CMAKE_CURRENT_BINARY_DIR}/install_test
                 ${_jitffi_install_tool} ${_jitffi_install_bindings})
# RUN_SERIAL: it configures and compiles two projects, which would slow parallel tests.
# FIXTURES_SETUP: tests/docs compiles the docs' snippets against the prefix it leaves.
set_tests_properties(install.find_package_and_pkg_config PROPERTIES
  LABELS install TIMEOUT 600 RUN_SERIAL TRUE FIXTURES_SETUP jitffi_installed)
