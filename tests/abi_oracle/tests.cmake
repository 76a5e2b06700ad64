# tests/abi_oracle: Windows on ARM64 plans against clang -target aarch64-pc-windows-msvc (no
# machine here runs Windows code; the compiler is the judge of where a caller puts each
# argument). oracle.py generates the signatures and callers, reads clang's assembly and compares
# with `jitffi plan`. Exit 77 (skipped, with the reason) when no such clang is installed;
# scripts/deps.sh installs clang-14, so CI runs it.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
# Plans are plain data, the same on every host: the native build runs it (not the cross build,
# where it failed to start under ctest and was left out for now).
if(TARGET jitffi_tool AND NOT CMAKE_CROSSCOMPILING)
  set(JITFFI_ORACLE_COUNT 300 CACHE STRING "Signatures the Windows on ARM64 clang oracle checks")
  add_test(NAME abi_oracle.windows_arm64
           COMMAND Python3::Interpreter ${CMAKE_CURRENT_LIST_DIR}/oracle.py
                   --jitffi $<TARGET_FILE:jitffi_tool>
                   --count ${JITFFI_ORACLE_COUNT} --seed 1)
  set_tests_properties(abi_oracle.windows_arm64 PROPERTIES LABELS abi_oracle TIMEOUT 300
                       SKIP_RETURN_CODE 77)
endif()
