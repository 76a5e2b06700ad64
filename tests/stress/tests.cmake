# The concurrency stress test (a plain program: its own checks, exit status 0 or 1). In a
# -DJITFFI_TSAN=ON tree scripts/test.sh builds only this target and runs it under ThreadSanitizer.
add_executable(jitffi_test_stress ${CMAKE_CURRENT_LIST_DIR}/stress.cpp)
target_link_libraries(jitffi_test_stress PRIVATE jitffi Threads::Threads)
add_test(NAME stress.threads COMMAND jitffi_test_stress 8 200)
set_tests_properties(stress.threads PROPERTIES LABELS stress TIMEOUT 300)
