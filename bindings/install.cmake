# The installed bindings (issue 15 item 2): one shared library, libjitffi_bindings.so, with every
# binding (libc, sqlite3, bson, libevent, mariadb, libuv, libcurl, the HTTP server) on top of the
# shipped libjitffi.so. Exported as jitffi::bindings (CMake) and jitffi-bindings (pkg-config);
# the headers go to <prefix>/include/jitffi/bindings/. The in-tree tests and examples keep
# jitffi_bindings / jitffi_bindings_net, static libraries on the components.
# Built from the same sources as those two (ccache serves the second compile).
add_library(jitffi_bindings_shared SHARED ${_jitffi_binding_srcs})
set_target_properties(jitffi_bindings_shared PROPERTIES
  OUTPUT_NAME jitffi_bindings EXPORT_NAME bindings VERSION ${PROJECT_VERSION} SOVERSION 0
  # libjitffi.so.0 lies next to it: found there even when a program's RUNPATH names only the
  # bindings' directory (RUNPATH does not apply to the libraries' own dependencies).
  INSTALL_RPATH "$ORIGIN")
target_include_directories(jitffi_bindings_shared PUBLIC
  $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
# Linked to libjitffi.so, so it only reaches jitffi's public API (the link fails otherwise).
target_link_libraries(jitffi_bindings_shared PUBLIC jitffi PRIVATE Threads::Threads)
# The binding headers use C++20 (std::span, designated initializers): consumers get it.
target_compile_features(jitffi_bindings_shared PUBLIC cxx_std_20)
target_link_options(jitffi_bindings_shared PRIVATE -Wl,--no-undefined
  -Wl,--version-script=${CMAKE_CURRENT_SOURCE_DIR}/jitffi_bindings.map)
set_property(TARGET jitffi_bindings_shared APPEND PROPERTY
  LINK_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/jitffi_bindings.map)
add_library(jitffi::bindings ALIAS jitffi_bindings_shared)

install(TARGETS jitffi_bindings_shared EXPORT jitffiTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# JITFFI_PC_TO_PREFIX: the top-level CMakeLists.txt computes it for jitffi.pc (the same path).
file(RELATIVE_PATH _jitffi_bindings_pc_to_prefix "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
string(REGEX REPLACE "/$" "" JITFFI_PC_TO_PREFIX "${_jitffi_bindings_pc_to_prefix}")
configure_file(${CMAKE_CURRENT_SOURCE_DIR}/jitffi-bindings.pc.in
               ${PROJECT_BINARY_DIR}/jitffi-bindings.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/jitffi-bindings.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
