# Tests of the scripts/ helpers that need no build product.
add_test(NAME scripts.deps_check
         COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/deps_check_test.sh ${PROJECT_SOURCE_DIR}/scripts/deps.sh)
set_tests_properties(scripts.deps_check PROPERTIES LABELS scripts TIMEOUT 60)
