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

# A host making 100,000 distinct signatures must stay flat (the stub cache's budget): RSS and
# executable mappings printed, growth past the first fifth checked.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64|aarch64|arm64")
  add_executable(jitffi_cache_rss ${CMAKE_CURRENT_SOURCE_DIR}/cache_rss/cache_rss.cpp)
  target_link_libraries(jitffi_cache_rss PRIVATE jitffi)
  add_test(NAME jit.cache_rss.small COMMAND jitffi_cache_rss 100000 small)
  add_test(NAME jit.cache_rss.large COMMAND jitffi_cache_rss 30000 large)
  add_test(NAME jit.cache_rss.libffi COMMAND jitffi_cache_rss 100000 small)  # its call cache
  set_tests_properties(jit.cache_rss.libffi PROPERTIES ENVIRONMENT JITFFI_BACKEND=libffi)
  set_tests_properties(jit.cache_rss.small jit.cache_rss.large jit.cache_rss.libffi
                       PROPERTIES LABELS jit TIMEOUT 600)
  if(JITFFI_SANITIZE)
    # ASan holds freed memory in its quarantine (256 MB by default): RSS would grow until that
    # is full whatever the cache does. Without the quarantine the freed plans and stubs are
    # reused, as in a Release build (30,000 large signatures: +1 MB over the last 24,000).
    set_tests_properties(jit.cache_rss.small jit.cache_rss.large jit.cache_rss.libffi
                         PROPERTIES ENVIRONMENT_MODIFICATION
                         "ASAN_OPTIONS=string_append::quarantine_size_mb=0")
  endif()
endif()
