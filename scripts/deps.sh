#!/bin/sh
# Installs the Debian packages jitffi needs to build and test, skipping those already present.
# Run as root on Debian 12 (apt-get update only runs when something is missing).
#   scripts/deps.sh            build, test and benchmark dependencies
#   scripts/deps.sh --check    only report what is missing (exit 1 if anything is)
set -eu

check_only=false
[ "${1:-}" = --check ] && check_only=true

packages="build-essential cmake pkg-config libffi-dev libasmjit-dev libgtest-dev
  libbenchmark-dev libsqlite3-dev libuv1-dev libcurl4-openssl-dev python3 valgrind"
# The libevent binding's tests (tests/bindings/event_test.cpp) load libevent-2.1.so.7.
packages="$packages libevent-dev"
# The BSON binding's tests (libbson-1.0.so.0 and the headers its layout test compares against).
packages="$packages libbson-dev"
# The MongoDB C driver binding's tests (libmongoc-1.0.so.0, its headers for the constants test).
packages="$packages libmongoc-dev"
# The Windows on ARM64 oracle (tests/abi_oracle) compiles callers with clang -target
# aarch64-pc-windows-msvc (host tool only: the arm64 cross build needs nothing from it).
packages="$packages clang-14"
# The MariaDB binding's tests: libmariadb.so.3 and its headers (layout test), and mariadbd plus
# mariadb-install-db for the server the tests start (Debian's policy-rc.d keeps apt from starting
# the system service in containers; the tests never use it).
packages="$packages libmariadb-dev mariadb-server"
# The libFuzzer targets (tests/fuzz/, build-fuzz/ in scripts/test.sh): clang with its fuzzer and
# sanitizer runtimes. (The TSan stress build uses gcc's libtsan, which build-essential brings.)
packages="$packages libclang-rt-14-dev"  # clang-14 is above
# The Chez Scheme library's tests (tests/chez/, bindings/chez/jitffi.ss): Debian's `scheme`
# (host tool only: the arm64 cross build does not run them).
packages="$packages chezscheme"
# bench/report.py --chart draws the per-signature chart of docs/performance.md (host tool only).
packages="$packages python3-matplotlib"

arch=$(dpkg --print-architecture)
# Whether package $1 is installed for this machine: its native-architecture copy, or an
# `Architecture: all` one (Multi-Arch foreign/all packages answer by name). A foreign copy
# (libasmjit-dev:arm64 from the cross build) does not count: a bare name lists one line per
# installed architecture, and only ours will do.
installed() {
  dpkg-query -W -f='${Architecture} ${db:Status-Status}\n' "$1" 2>/dev/null |
    grep -qx -e "$arch installed" -e "all installed"
}
missing=""
for p in $packages; do
  installed "$p" || missing="$missing $p"
done

if [ -z "$missing" ]; then
  echo "deps: all $(echo $packages | wc -w) packages present"
  exit 0
fi
if $check_only; then
  echo "deps: missing ($arch):$missing" >&2
  exit 1
fi

echo "deps: installing$missing"
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo_cmd=sudo
  else
    echo "deps: missing packages:$missing; run this script as root to install them" >&2
    exit 1
  fi
else
  sudo_cmd=""
fi
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086  # word splitting of the package list is intended
$sudo_cmd apt-get update -q
# shellcheck disable=SC2086
$sudo_cmd apt-get install -y -q --no-install-recommends $missing
