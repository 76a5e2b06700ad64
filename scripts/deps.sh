#!/bin/sh
# Installs the Debian packages jitffi needs to build and test, skipping those already present.
# Run as root on Debian 12 (apt-get update only runs when something is missing).
#   scripts/deps.sh            build, test and benchmark dependencies
set -eu

packages="build-essential cmake pkg-config libffi-dev libasmjit-dev libgtest-dev
  libbenchmark-dev libsqlite3-dev libuv1-dev libcurl4-openssl-dev python3 valgrind"
# The libevent binding's tests (tests/bindings/event_test.cpp) load libevent-2.1.so.7.
packages="$packages libevent-dev"
# The BSON binding's tests (libbson-1.0.so.0 and the headers its layout test compares against).
packages="$packages libbson-dev"
# The libFuzzer targets (tests/fuzz/, build-fuzz/ in scripts/test.sh): clang with its fuzzer and
# sanitizer runtimes. (The TSan stress build uses gcc's libtsan, which build-essential brings.)
packages="$packages clang-14 libclang-rt-14-dev"

arch=$(dpkg --print-architecture)
missing=""
for p in $packages; do
  # Ask for the native architecture's package: with a foreign architecture added (arm64 for the
  # cross build) a bare name answers once per installed architecture.
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p:$arch" 2>/dev/null ||
    dpkg-query -W -f='${db:Status-Status}\n' "$p" 2>/dev/null | head -n 1 || true)
  [ "$status" = installed ] || missing="$missing $p"
done

if [ -z "$missing" ]; then
  echo "deps: all $(echo $packages | wc -w) packages present"
  exit 0
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
