# tests/jit: the x86-64 emitter, executable memory, unwind info, the stub cache and the back end.
# Targets and closure callers are C compiled by the system compiler (the ABI judge), with
# -fexceptions so that exceptions from closure handlers may unwind through them.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  jitffi_test_dir(jit jitffi_jit Threads::Threads)
  if(TARGET jitffi_test_jit)
    target_sources(jitffi_test_jit PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/jit/targets.c)
    set_source_files_properties(${CMAKE_CURRENT_SOURCE_DIR}/jit/targets.c PROPERTIES
      COMPILE_OPTIONS "-fexceptions;-O2")
    target_include_directories(jitffi_test_jit PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/jit)
  endif()
endif()
