# tests/jit_a64: the AArch64 emitter. On any host: AAPCS64/Apple plans assembled for an AArch64
# target with asmjit (listings, trampoline encoding, plan checks). On arm64 (natively or under
# qemu-aarch64 in the cross build) also the generated code run against C targets and C callers
# compiled by the (cross) compiler, which is the judge of the ABI.
jitffi_test_dir(jit_a64 jitffi_jit Threads::Threads)
if(TARGET jitffi_test_jit_a64)  # the JIT without src/: weak stand-ins for the stats counters
  target_sources(jitffi_test_jit_a64 PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../jit/stats_fallback.cpp)
endif()
if(TARGET jitffi_test_jit_a64 AND CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
  target_sources(jitffi_test_jit_a64 PRIVATE ${CMAKE_CURRENT_LIST_DIR}/targets_a64.c)
  set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/targets_a64.c PROPERTIES
    COMPILE_OPTIONS "-fexceptions;-O2")
endif()
