# Cross build for arm64 Linux on a Debian x86-64 host (scripts/cross-aarch64.sh):
#   cmake -S . -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake
# Needs g++-aarch64-linux-gnu, qemu-user and the :arm64 -dev packages (Debian multiarch: their
# libraries live in /usr/lib/aarch64-linux-gnu, their headers in /usr/include). Every test and
# every program the build runs (gtest discovery, ctest) goes through qemu-aarch64.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

# Libraries and CMake packages from the arm64 multiarch directories only; programs (python3 for
# the differential suite's generator) from the host.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_PREFIX_PATH /usr/lib/aarch64-linux-gnu/cmake)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
# pkg-config must see the arm64 .pc files, not the host's.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")

# qemu-aarch64 finds the arm64 dynamic linker and libraries in the multiarch directories
# (libc6:arm64 comes with the -dev packages). Not `-L /usr/aarch64-linux-gnu`: with the cross
# sysroot's libc, qemu 7.2 spins forever in the first pthread_create. JITFFI_EMULATOR tells tests
# that start their own binary again (tests/api EnvVars) how to run it.
set(CMAKE_CROSSCOMPILING_EMULATOR /usr/bin/env;JITFFI_EMULATOR=qemu-aarch64;qemu-aarch64)
