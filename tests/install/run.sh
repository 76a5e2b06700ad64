#!/bin/sh
# run.sh BUILD_DIR THIS_DIR WORK_DIR TOOL(yes|no): cmake --install into WORK_DIR/prefix, then
# build and run a find_package(jitffi) consumer and a pkg-config consumer against it.
set -eu
build=$1 here=$2 work=$3 tool=$4
rm -rf "$work"
mkdir -p "$work"
prefix=$work/prefix
step() { echo "== $*"; }

step "cmake --install into $prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log"
for f in include/jitffi.h include/jitffi/jitffi.hpp include/jitffi/function.h; do
  test -f "$prefix/$f" || { echo "missing after install: $f"; exit 1; }
done
lib=$(find "$prefix" -name 'libjitffi.so.0' | head -n 1)
test -n "$lib" || { echo "libjitffi.so.0 not installed"; exit 1; }
libdir=$(dirname "$lib")
test -e "$libdir/libjitffi.so" || { echo "libjitffi.so (dev link) not installed"; exit 1; }
config=$(find "$prefix" -name jitffiConfig.cmake | head -n 1)
pc=$(find "$prefix" -name jitffi.pc | head -n 1)
test -n "$config" || { echo "jitffiConfig.cmake not installed"; exit 1; }
test -n "$pc" || { echo "jitffi.pc not installed"; exit 1; }

if [ "$tool" = yes ]; then
  step "installed tool runs from the prefix"
  out=$(env -u LD_LIBRARY_PATH "$prefix/bin/jitffi" call libm.so.6 'double cos(double)' 0)
  [ "$out" = 1 ] || { echo "installed jitffi printed '$out', expected 1"; exit 1; }
  echo "jitffi call libm.so.6 'double cos(double)' 0 -> $out"
fi

step "find_package(jitffi) consumer"
grep -q 'INTERFACE_COMPILE_FEATURES "cxx_std_17"' "$(dirname "$config")"/jitffiTargets.cmake ||
  { echo "jitffi::jitffi does not carry cxx_std_17"; exit 1; }
cmake -S "$here/cmake_consumer" -B "$work/cmake_consumer" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" >"$work/cmake_consumer.log"
cmake --build "$work/cmake_consumer" >>"$work/cmake_consumer.log" 2>&1 ||
  { cat "$work/cmake_consumer.log"; exit 1; }
"$work/cmake_consumer/consumer"

step "pkg-config consumer"
# As the README says: no --define-variable, the .pc file locates its prefix itself.
pcdir=$(dirname "$pc")
flags=$(PKG_CONFIG_PATH="$pcdir" pkg-config --cflags --libs jitffi)
echo "pkg-config --cflags --libs jitffi: $flags"
# shellcheck disable=SC2086  # flags are words
cc -std=c99 -Wall -Wextra -Werror -o "$work/pc_consumer" "$here/pkgconfig_consumer/main.c" \
  $flags -Wl,-rpath,"$libdir"
"$work/pc_consumer"
echo "install test passed"
