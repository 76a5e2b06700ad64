# Network throughput through the bindings on loopback: curl GETs per second against the uv HTTP
# server, and libuv TCP echo bytes per second, each through the JIT and through libffi.
if(TARGET jitffi_bindings_net)
  add_executable(jitffi_bench_net bench_net.cpp)
  target_link_libraries(jitffi_bench_net PRIVATE jitffi_bindings_net benchmark::benchmark)
endif()
