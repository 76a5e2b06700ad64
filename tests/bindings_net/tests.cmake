# Network binding tests (libuv, libcurl, the HTTP server on libuv), all on loopback. The binary is
# registered twice: through the default back end and through libffi alone, since a binding must
# not care which back end runs it.
jitffi_test_dir(bindings_net jitffi_bindings_net ${CMAKE_DL_LIBS} Threads::Threads)
if(TARGET jitffi_test_bindings_net)
  gtest_discover_tests(jitffi_test_bindings_net DISCOVERY_TIMEOUT 60 TEST_SUFFIX .libffi
    PROPERTIES LABELS bindings_net ENVIRONMENT JITFFI_BACKEND=libffi)
  # The examples are programs of their own (examples/net.cmake): run them under both back ends.
  foreach(_ex http_fetch echo_server)
    if(TARGET jitffi_example_${_ex})
      foreach(_backend auto libffi)
        add_test(NAME example.${_ex}.${_backend} COMMAND jitffi_example_${_ex})
        set_tests_properties(example.${_ex}.${_backend} PROPERTIES
          LABELS "bindings_net;examples" ENVIRONMENT JITFFI_BACKEND=${_backend} TIMEOUT 60)
      endforeach()
    endif()
  endforeach()
endif()
