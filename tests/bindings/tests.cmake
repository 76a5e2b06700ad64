# Binding tests: the real libraries, loaded at run time. Every test runs twice, through the
# default back end (the JIT where it serves the signature) and through libffi alone, because a
# binding must not care which back end runs it.
jitffi_test_dir(bindings jitffi_bindings ${CMAKE_DL_LIBS} Threads::Threads)
if(TARGET jitffi_test_bindings)
  gtest_discover_tests(jitffi_test_bindings DISCOVERY_TIMEOUT 60 TEST_SUFFIX .libffi
    PROPERTIES LABELS bindings ENVIRONMENT JITFFI_BACKEND=libffi)
  # The examples are programs of their own: run them under both back ends too.
  foreach(_ex sqlite_crud)
    if(TARGET jitffi_example_${_ex})
      foreach(_backend auto libffi)
        add_test(NAME example.${_ex}.${_backend}
          COMMAND jitffi_example_${_ex} ${CMAKE_CURRENT_BINARY_DIR})
        set_tests_properties(example.${_ex}.${_backend} PROPERTIES
          LABELS "bindings;examples" ENVIRONMENT JITFFI_BACKEND=${_backend} TIMEOUT 60)
      endforeach()
    endif()
  endforeach()
  # The libevent example, under both back ends.
  if(TARGET jitffi_example_event_echo)
    foreach(_backend auto libffi)
      add_test(NAME example.event_echo.${_backend} COMMAND jitffi_example_event_echo 16)
      set_tests_properties(example.event_echo.${_backend} PROPERTIES
        LABELS "bindings;examples" ENVIRONMENT JITFFI_BACKEND=${_backend} TIMEOUT 60)
    endforeach()
  endif()
endif()
