#!/bin/sh
# run.sh BUILD_DIR THIS_DIR WORK_DIR TOOL(yes|no) BINDINGS(yes|no): cmake --install into
# WORK_DIR/prefix, then build and run a find_package(jitffi) consumer and a pkg-config consumer
# against it; with BINDINGS=yes also two of examples/ through jitffi::bindings and through
# pkg-config jitffi-bindings.
set -eu
build=$1 here=$2 work=$3 tool=$4 bindings=$5
examples=$here/../../examples
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

if [ "$bindings" = yes ]; then
  step "bindings installed"
  for h in common libc sqlite3 bson event mariadb uv curl http_server; do
    test -f "$prefix/include/jitffi/bindings/$h.h" ||
      { echo "missing after install: include/jitffi/bindings/$h.h"; exit 1; }
  done
  test -e "$libdir/libjitffi_bindings.so" || { echo "libjitffi_bindings.so not installed"; exit 1; }
  test -f "$pcdir/jitffi-bindings.pc" || { echo "jitffi-bindings.pc not installed"; exit 1; }
  grep -q 'INTERFACE_COMPILE_FEATURES "cxx_std_20"' "$(dirname "$config")"/jitffiTargets.cmake ||
    { echo "jitffi::bindings does not carry cxx_std_20"; exit 1; }

  step "find_package(jitffi) + jitffi::bindings consumer (examples/sqlite_crud, event_echo)"
  cmake -S "$here/bindings_consumer" -B "$work/bindings_consumer" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$prefix" -DJITFFI_EXAMPLES="$examples" >"$work/bindings_consumer.log"
  cmake --build "$work/bindings_consumer" >>"$work/bindings_consumer.log" 2>&1 ||
    { cat "$work/bindings_consumer.log"; exit 1; }
  mkdir -p "$work/sqlite_cmake"
  "$work/bindings_consumer/sqlite_crud" "$work/sqlite_cmake"
  "$work/bindings_consumer/event_echo" 4

  step "pkg-config jitffi-bindings consumer (examples/sqlite_crud)"
  bflags=$(PKG_CONFIG_PATH="$pcdir" pkg-config --cflags --libs jitffi-bindings)
  echo "pkg-config --cflags --libs jitffi-bindings: $bflags"
  # shellcheck disable=SC2086  # flags are words
  c++ -std=c++20 -Wall -Wextra -Werror -o "$work/pc_sqlite_crud" "$examples/sqlite_crud.cpp" \
    $bflags -Wl,-rpath,"$libdir"
  mkdir -p "$work/sqlite_pc"
  "$work/pc_sqlite_crud" "$work/sqlite_pc"
fi
echo "install test passed"
