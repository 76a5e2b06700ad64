# The differential suite (tests/diff): gen.py writes random signatures and the C code that
# checks them; the system compiler builds that code into one shared library per ABI mode; the
# driver jitffi_test_diff calls every signature through each back end. See docs/testing.md.
find_package(Python3 REQUIRED COMPONENTS Interpreter)

set(JITFFI_DIFF_COUNT 1000 CACHE STRING
    "Signatures per ABI mode in the differential suite (>= 20000 for the large run)")
set(JITFFI_DIFF_SEED 1 CACHE STRING "Seed of the differential suite's generator")
set(JITFFI_DIFF_CHUNK 250 CACHE STRING
    "Signatures per generated C file (smaller files compile in parallel)")

set(_diff_src ${CMAKE_CURRENT_LIST_DIR})
# The modes of this target: Win64 code runs on any x86-64 host (ms_abi), AAPCS64 on arm64.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(_diff_modes sysv win64)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
  set(_diff_modes aapcs64)
else()
  set(_diff_modes)
endif()

math(EXPR _diff_chunks "(${JITFFI_DIFF_COUNT} + ${JITFFI_DIFF_CHUNK} - 1) / ${JITFFI_DIFF_CHUNK}")
set(_diff_defs JITFFI_DIFF_COUNT=${JITFFI_DIFF_COUNT})
set(_diff_libs)
foreach(_abi IN LISTS _diff_modes)
  set(_dir ${CMAKE_CURRENT_BINARY_DIR}/diff/${_abi})
  # Changing seed, count or chunking rewrites the stamp, which re-runs the generator.
  file(CONFIGURE OUTPUT ${_dir}/params.stamp
       CONTENT "${JITFFI_DIFF_SEED} ${JITFFI_DIFF_COUNT} ${_diff_chunks}\n")
  set(_outs)
  math(EXPR _last "${_diff_chunks} - 1")
  foreach(_k RANGE ${_last})
    list(APPEND _outs ${_dir}/diff_${_abi}_${_k}.c)
  endforeach()
  list(APPEND _outs ${_dir}/diff_${_abi}_table.c)
  add_custom_command(
    OUTPUT ${_outs} ${_dir}/diff_${_abi}.sigs
    COMMAND Python3::Interpreter ${_diff_src}/gen.py --abi ${_abi} --seed ${JITFFI_DIFF_SEED}
            --count ${JITFFI_DIFF_COUNT} --chunks ${_diff_chunks} --out-dir ${_dir}
            --prefix diff_${_abi}
    DEPENDS ${_diff_src}/gen.py ${_dir}/params.stamp
    COMMENT "Generating ${JITFFI_DIFF_COUNT} ${_abi} signatures for the differential suite"
    VERBATIM)
  add_library(jitffi_diff_${_abi} SHARED ${_outs} ${_diff_src}/diff_runtime.c)
  target_include_directories(jitffi_diff_${_abi} PRIVATE ${_diff_src})
  # -O2 as a user would build the targets; psABI notes about GCC 4.4 changes are noise here.
  target_compile_options(jitffi_diff_${_abi} PRIVATE -O2 -Wno-psabi)
  list(APPEND _diff_defs JITFFI_DIFF_LIB_${_abi}="$<TARGET_FILE:jitffi_diff_${_abi}>")
  list(APPEND _diff_libs jitffi_diff_${_abi})
endforeach()

file(GLOB _diff_srcs CONFIGURE_DEPENDS ${_diff_src}/*.cpp)
if(_diff_modes AND _diff_srcs)
  add_executable(jitffi_test_diff ${_diff_srcs})
  target_include_directories(jitffi_test_diff PRIVATE ${PROJECT_SOURCE_DIR})
  # The components rather than libjitffi.so: the shared library does not link yet (the static,
  # non-PIC libasmjit.a); switch to `jitffi` once it does.
  target_link_libraries(jitffi_test_diff PRIVATE jitffi_api jitffi_jit jitffi_abi jitffi_fallback
                        jitffi_signatures ${CMAKE_DL_LIBS} GTest::gtest GTest::gtest_main)
  target_compile_definitions(jitffi_test_diff PRIVATE ${_diff_defs})
  add_dependencies(jitffi_test_diff ${_diff_libs})
  gtest_discover_tests(jitffi_test_diff DISCOVERY_TIMEOUT 60
    PROPERTIES LABELS diff TIMEOUT 1800)
endif()
