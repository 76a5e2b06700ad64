# libjitffi.so exports its public API and nothing else (issue 15 item 5): the dynamic symbols of
# the built library against tests/exports/allowed.txt and include/jitffi.h, and the checker's
# own test on what the library leaked before cmake/jitffi.map named the public symbols. The
# interpreter by path, not Python3::Interpreter: a cross build must not run it under qemu.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(_jitffi_exports_args --allowed ${CMAKE_CURRENT_LIST_DIR}/allowed.txt
    --header ${PROJECT_SOURCE_DIR}/include/jitffi.h)
add_test(NAME exports.public_api_only
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/check_exports.py
                 --nm ${CMAKE_NM} --lib $<TARGET_FILE:jitffi> ${_jitffi_exports_args})
add_test(NAME exports.checker_rejects_old_leaks
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/check_exports.py
                 --reject-all ${CMAKE_CURRENT_LIST_DIR}/leaks_before.txt ${_jitffi_exports_args})
set_tests_properties(exports.public_api_only exports.checker_rejects_old_leaks
                     PROPERTIES LABELS exports)
