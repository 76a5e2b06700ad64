#!/bin/sh
# The whole test suite for arm64, cross-compiled on an x86-64 Debian host and run under
# qemu-aarch64 (cmake/aarch64-linux-gnu.cmake sets it as CMAKE_CROSSCOMPILING_EMULATOR, so ctest
# and gtest's test discovery run every arm64 program through it). Installs what is missing
# (root), configures and builds build-aarch64/ in Release, runs ctest; exits non-zero if the build
# or any test fails. The differential suite's generator (python) runs on the host; its C targets
# are cross-compiled with the rest.
#   scripts/cross-aarch64.sh             deps, build, test
#   BUILD_DIR=... JOBS=... scripts/cross-aarch64.sh
set -eu
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build-aarch64}
jobs=${JOBS:-$(nproc)}
start=$(date +%s)
stamp() { echo "== [cross-aarch64 $(( $(date +%s) - start ))s] $*"; }

stamp "dependencies"
host_pkgs="g++-aarch64-linux-gnu qemu-user cmake pkg-config python3"
arm_pkgs="libasmjit-dev:arm64 libffi-dev:arm64 libgtest-dev:arm64 libbenchmark-dev:arm64
  libsqlite3-dev:arm64 libuv1-dev:arm64 libcurl4-openssl-dev:arm64
  libevent-2.1-7:arm64 libmariadb3:arm64
  libicu72:arm64 libsasl2-2:arm64 libsnappy1v5:arm64 libzstd1:arm64"
# Packages Debian 12 does not mark Multi-Arch: same cannot be installed for arm64 beside their
# amd64 selves: apt would remove the host's copy (the native libbson tests then fail). They are
# unpacked into the build tree instead (dpkg -x, nothing registered with dpkg); the tests find the
# library through JITFFI_BSON_PATH, the layout tests the headers through JITFFI_LIBBSON_INCLUDE_DIRS
# and JITFFI_MARIADB_INCLUDE_DIRS (libmariadb3:arm64 itself is Multi-Arch: same, installed above).
# The MariaDB tests' server is the host's own mariadbd (amd64, from scripts/deps.sh), started by
# the arm64 fixture program under qemu-aarch64: a server on a socket does not care who calls it.
# libmongoc-1.0-0 is not Multi-Arch: same either, and libmongocrypt0 (which is) depends on
# libbson-1.0-0:arm64: both unpacked; the driver finds them through LD_LIBRARY_PATH (below).
private_pkgs="libbson-1.0-0:arm64 libbson-dev:arm64 libmariadb-dev:arm64 libmongoc-1.0-0:arm64
  libmongocrypt0:arm64"
missing=""
for p in $host_pkgs $arm_pkgs; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = installed ] || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "cross-aarch64: installing$missing"
  if [ "$(id -u)" -ne 0 ]; then
    echo "cross-aarch64: run as root to install:$missing" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
  apt-get update -q
  # shellcheck disable=SC2086  # word splitting of the package list is intended
  apt-get install -y -q --no-install-recommends $missing
else
  echo "cross-aarch64: all packages present"
fi

private="$(pwd)/$build/arm64-private"
if [ "$(cat "$private/.unpacked" 2>/dev/null || true)" != "$(echo $private_pkgs)" ]; then
  echo "cross-aarch64: unpacking$(echo " $private_pkgs" | tr '\n' ' ') into $private"
  dpkg --print-foreign-architectures | grep -qx arm64 || {
    echo "cross-aarch64: arm64 is not a foreign architecture here (dpkg --add-architecture arm64)" >&2
    exit 1
  }
  rm -rf "$private" && mkdir -p "$private/debs"
  # shellcheck disable=SC2086  # word splitting of the package list is intended
  (cd "$private/debs" && apt-get download -q $private_pkgs)
  for deb in "$private"/debs/*.deb; do dpkg -x "$deb" "$private"; done
  echo $private_pkgs >"$private/.unpacked"  # unpacked again when the list changes
fi
bson_so=$(ls "$private"/usr/lib/aarch64-linux-gnu/libbson-1.0.so.0 2>/dev/null || true)
[ -n "$bson_so" ] || { echo "cross-aarch64: no libbson-1.0.so.0 in $private" >&2; exit 1; }
export JITFFI_BSON_PATH="$bson_so"
export JITFFI_MONGOC_PATH="$private/usr/lib/aarch64-linux-gnu/libmongoc-1.0.so.0"
[ -f "$JITFFI_MONGOC_PATH" ] || { echo "cross-aarch64: no libmongoc-1.0.so.0 in $private" >&2; exit 1; }
# libmongoc's own dependencies (libbson, libmongocrypt) are in the private tree too: the arm64
# loader under qemu finds them here (the host's loader skips these arm64 files).
export LD_LIBRARY_PATH="$private/usr/lib/aarch64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

stamp "configure and build ($build, Release, aarch64-linux-gnu)"
# compat/ (the libffi drop-in, libffi's arm64 layouts) is built and tested like the rest; its
# ctypes suite reports itself skipped (no arm64 python3 to run under qemu).
# JITFFI_CROSS_COMPAT=OFF leaves it out.
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="$(pwd)/cmake/aarch64-linux-gnu.cmake" \
  -DJITFFI_BUILD_COMPAT="${JITFFI_CROSS_COMPAT:-ON}" \
  -DJITFFI_LIBBSON_INCLUDE_DIRS="$private/usr/include/libbson-1.0" \
  -DJITFFI_MARIADB_INCLUDE_DIRS="$private/usr/include/mariadb"
cmake --build "$build" -j"$jobs"

stamp "tests under qemu-aarch64: $(ctest --test-dir "$build" -N | sed -n 's/^Total Tests: //p')"
status=0
ctest --test-dir "$build" --output-on-failure --no-label-summary -j"$jobs" --timeout 1800 ||
  status=$?
stamp "done (exit $status)"
exit $status
