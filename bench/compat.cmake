# Benchmarks of the libffi drop-in (compat/): included from bench/CMakeLists.txt.
if(NOT TARGET jitffi_ffi)
  return()
endif()

# Links our libffi.so.8 (not the system one, whose symbols have the same names); the system
# libffi is dlopen'ed under its own name for the libffi/S* rows.
add_executable(jitffi_bench_compat bench_compat.cpp compat_floor.c)
target_compile_options(jitffi_bench_compat PRIVATE -O2 -fno-tree-slp-vectorize)
target_include_directories(jitffi_bench_compat BEFORE PRIVATE ${PROJECT_SOURCE_DIR}/compat/include
                           ${PROJECT_SOURCE_DIR})
target_link_libraries(jitffi_bench_compat PRIVATE jitffi_ffi benchmark::benchmark ${CMAKE_DL_LIBS})
# The system libffi's full path as found by pkg-config (libffi.so -> libffi.so.8.x).
list(GET LIBFFI_LINK_LIBRARIES 0 _jitffi_system_libffi)
target_compile_definitions(jitffi_bench_compat PRIVATE
  JITFFI_BENCH_TARGETS="$<TARGET_FILE:jitffi_bench_targets>"
  JITFFI_SYSTEM_LIBFFI="${_jitffi_system_libffi}")
add_dependencies(jitffi_bench_compat jitffi_bench_targets)

# ctypes calling S2 in a loop, with the system libffi and with ours preloaded:
# `cmake --build <build> --target bench_compat_ctypes`.
find_program(JITFFI_BENCH_PYTHON3 python3)
if(JITFFI_BENCH_PYTHON3)
  file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/compat_ctypes_s2.py [=[
import ctypes, os, sys, time
lib = ctypes.CDLL(sys.argv[1])
s2 = lib.s2
s2.argtypes = (ctypes.c_int, ctypes.c_int)
s2.restype = ctypes.c_int
n, best = 1_000_000, float("inf")
for _ in range(5):
    t = time.perf_counter()
    for i in range(n):
        s2(i, 1)
    best = min(best, time.perf_counter() - t)
print(f"{os.environ.get('LD_PRELOAD') and 'jitffi' or 'system'}: {best / n * 1e9:.1f} ns per ctypes call of s2")
]=])
  add_custom_target(bench_compat_ctypes
    COMMAND ${CMAKE_COMMAND} -E env --unset=LD_PRELOAD ${JITFFI_BENCH_PYTHON3}
            ${CMAKE_CURRENT_BINARY_DIR}/compat_ctypes_s2.py $<TARGET_FILE:jitffi_bench_targets>
    COMMAND ${CMAKE_COMMAND} -E env LD_PRELOAD=$<TARGET_FILE:jitffi_ffi> ${JITFFI_BENCH_PYTHON3}
            ${CMAKE_CURRENT_BINARY_DIR}/compat_ctypes_s2.py $<TARGET_FILE:jitffi_bench_targets>
    DEPENDS jitffi_ffi jitffi_bench_targets VERBATIM)
endif()

# Two builds of our libffi.so.8 timed against each other in one process (bench/compat_ab.cpp).
add_executable(jitffi_bench_compat_ab compat_ab.cpp)
target_compile_options(jitffi_bench_compat_ab PRIVATE -O2)
target_include_directories(jitffi_bench_compat_ab BEFORE PRIVATE
                           ${PROJECT_SOURCE_DIR}/compat/include ${PROJECT_SOURCE_DIR})
target_link_libraries(jitffi_bench_compat_ab PRIVATE ${CMAKE_DL_LIBS})
target_compile_definitions(jitffi_bench_compat_ab PRIVATE
  JITFFI_BENCH_TARGETS="$<TARGET_FILE:jitffi_bench_targets>")
add_dependencies(jitffi_bench_compat_ab jitffi_bench_targets)
