#!/bin/sh
# The main job: installs what is missing, builds jitffi in Release (build/) and runs the demo of
# the command-line tool: libc and libm calls by prototype and a closure through qsort.
set -eu
cd "$(dirname "$0")/.."
jobs=${JOBS:-$(nproc)}

./scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build --target jitffi_tool -j"$jobs"

jitffi=build/tools/jitffi
nl='
'
# Shows the command as one would type it in bash (a trailing newline as $'...\n'), then runs it.
run() {
  printf '\n$ jitffi'
  for a in "$@"; do
    case "$a" in
      *"$nl") printf " \$'%s\\\\n'" "${a%"$nl"}" ;;
      *[!A-Za-z0-9._/:-]*|'') printf " '%s'" "$a" ;;
      *) printf ' %s' "$a" ;;
    esac
  done
  echo
  "$jitffi" "$@"
}

echo
echo "== jitffi demo: the C++ API at work (each result checked against a direct call)"
"$jitffi" demo

echo
echo "== the command line: any exported function, arguments converted by the prototype"
run call libm.so.6 'double cos(double)' 0
run call libm.so.6 'double pow(double x, double y)' 2 0.5
run call libc.so.6 'size_t strlen(const char *s)' 'hello, jitffi'
run call libc.so.6 'long labs(long)' -0x7fffffffff
run call libc.so.6 'char *getenv(const char *name)' HOME
run call libc.so.6 'int printf(const char *fmt, ...)' "%s is %d, pi is %.5f$nl" answer 42 3.14159265
run call -d 'typedef struct { int quot, rem; } div_t' libc.so.6 'div_t div(int, int)' 17 5
echo
echo "== and a mistake, reported with its position (exit status 2):"
status=0
run call libm.so.6 'double cos(doubel)' 0 || status=$?
[ "$status" -eq 2 ] || { echo "expected exit status 2, got $status" >&2; exit 1; }
echo
echo "demo finished: every call above went through jitffi"
