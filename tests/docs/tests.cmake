# Every C and C++ block of README.md and docs/*.md is compiled against the installed tree (the
# prefix that tests/install makes) with the flags pkg-config gives, and run where it is marked
# so; fragments are listed with the reason (issue 15 item 14, tests/docs/check_snippets.py).
if(JITFFI_SANITIZE OR CMAKE_CROSSCOMPILING OR NOT TARGET jitffi_bindings_shared)
  return()  # no install test here (see tests/install/tests.cmake), or no bindings installed
endif()
find_package(Python3 REQUIRED COMPONENTS Interpreter)
file(GLOB _jitffi_doc_pages CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/*.md)
add_test(NAME docs.snippets_compile_and_run
         COMMAND Python3::Interpreter ${CMAKE_CURRENT_LIST_DIR}/check_snippets.py
                 ${CMAKE_CURRENT_BINARY_DIR}/install_test/prefix
                 ${CMAKE_CURRENT_BINARY_DIR}/docs_snippets
                 ${PROJECT_SOURCE_DIR}/README.md ${_jitffi_doc_pages})
# The install test makes the prefix (ctest -R docs runs it first). RUN_SERIAL: it compiles ~30
# programs.
set_tests_properties(docs.snippets_compile_and_run PROPERTIES
  LABELS "docs;install" TIMEOUT 900 RUN_SERIAL TRUE FIXTURES_REQUIRED jitffi_installed)
