# The network bindings (libuv, libcurl, and the small HTTP server written on the libuv binding),
# in a library of their own on top of jitffi_bindings' shared helpers. bindings/CMakeLists.txt
# globs every *.cpp of the folder: ours are taken out of jitffi_bindings here.
file(GLOB _jitffi_net_srcs CONFIGURE_DEPENDS
  ${CMAKE_CURRENT_SOURCE_DIR}/uv*.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/curl*.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/http_server*.cpp)
get_target_property(_jitffi_bind_srcs jitffi_bindings SOURCES)
list(REMOVE_ITEM _jitffi_bind_srcs ${_jitffi_net_srcs})
set_target_properties(jitffi_bindings PROPERTIES SOURCES "${_jitffi_bind_srcs}")

add_library(jitffi_bindings_net STATIC ${_jitffi_net_srcs})
target_include_directories(jitffi_bindings_net PUBLIC
  $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>)
target_link_libraries(jitffi_bindings_net PUBLIC jitffi_bindings Threads::Threads)
