# Network examples (libuv, libcurl); tests/bindings_net/tests.cmake runs them under both back ends.
foreach(_ex http_fetch echo_server)
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${_ex}.cpp AND TARGET jitffi_bindings_net)
    add_executable(jitffi_example_${_ex} ${_ex}.cpp)
    target_link_libraries(jitffi_example_${_ex} PRIVATE jitffi_bindings_net)
  endif()
endforeach()
