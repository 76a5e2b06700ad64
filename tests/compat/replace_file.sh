#!/bin/sh
# The "replacing the file" setup of docs/drop-in.md, run for real: in a private mount namespace
# our libffi.so.8 is bind-mounted over the system's (the file its libffi.so.8 symlink resolves
# to), with no LD_PRELOAD and no LD_LIBRARY_PATH, and the real library kept reachable the two ways
# the document gives:
#   env:    a copy of it elsewhere, named by JITFFI_REAL_LIBFFI;
#   byname: a copy named libffi.so.8.* in a searched directory (/usr/local/lib here, itself
#           replaced by a private directory inside the namespace).
# Each time the C client (built against the system's ffi.h, linked with -lffi) runs with
# --expect-jitffi=<our file> (the library the loader found must be ours by device and inode), and
# a python3 ctypes smoke test makes a few calls, a callback and struct calls; their JITFFI_STATS
# lines must show that ours served them and, for the client, that the real one was reached.
# The mounts vanish with the namespace; the host's file is compared before and after.
#
#   replace_file.sh LIB CLIENT PYTHON --sanitize=<ASan runtime or empty>
# Exit 77 (skipped) when no mount namespace can be made, under the sanitizer build, or without
# python3 (after the client's part passed).
set -eu

skip() {
  echo "SKIP: $*"
  exit 77
}
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# Sums the JITFFI_STATS lines of a file: "processes stubs calls_jit calls_libffi closures_jit
# closures_libffi closure_calls_jit closure_calls_libffi".
sum_stats() {
  awk '/^jitffi stats \[pid / {
         s = $0; sub(/^[^]]*\]: /, "", s); gsub(/[^0-9]+/, " ", s); split(s, a, " ")
         for (i = 1; i <= 7; i++) t[i] += a[i]; n++
       }
       END { printf "%d", n; for (i = 1; i <= 7; i++) printf " %d", t[i]; print "" }' "$1"
}

# check_stats FILE WHAT MIN_CALLS_JIT MIN_CLOSURE_CALLS_JIT MIN_CALLS_LIBFFI
check_stats() {
  [ -s "$1" ] || fail "$2: no JITFFI_STATS line: our library did not serve it"
  set -- "$1" "$2" "$3" "$4" "$5" $(sum_stats "$1")
  echo "$2: $6 process(es); stubs compiled $7; calls: jit $8, libffi $9; closures: jit ${10}," \
    "libffi ${11}; closure calls: jit ${12}, libffi ${13}"
  [ "$8" -ge "$3" ] || fail "$2: $8 calls through the JIT, expected at least $3"
  [ "${10}" -ge 1 ] || fail "$2: no closure through the JIT"
  [ "${12}" -ge "$4" ] || fail "$2: ${12} closure calls through the JIT, expected at least $4"
  [ "$9" -ge "$5" ] || fail "$2: $9 calls through the real libffi, expected at least $5"
}

SMOKE='
import ctypes as C
libc = C.CDLL(None)
libm = C.CDLL("libm.so.6")
assert libc.abs(-42) == 42
libc.strlen.restype = C.c_size_t
libc.strlen.argtypes = [C.c_char_p]
assert libc.strlen(b"jitffi") == 6
libm.pow.restype = C.c_double
libm.pow.argtypes = [C.c_double, C.c_double]
assert libm.pow(2.0, 10.0) == 1024.0
CMP = C.CFUNCTYPE(C.c_int, C.POINTER(C.c_int), C.POINTER(C.c_int))
arr = (C.c_int * 6)(5, 1, 4, 6, 2, 3)
libc.qsort(arr, len(arr), C.sizeof(C.c_int), CMP(lambda a, b: a[0] - b[0]))
assert list(arr) == [1, 2, 3, 4, 5, 6], list(arr)
class div_t(C.Structure):
    _fields_ = [("quot", C.c_int), ("rem", C.c_int)]
libc.div.restype = div_t
libc.div.argtypes = [C.c_int, C.c_int]
r = libc.div(17, 5)
assert (r.quot, r.rem) == (3, 2)
class in_addr(C.Structure):
    _fields_ = [("s_addr", C.c_uint8 * 4)]
libc.inet_ntoa.restype = C.c_char_p
libc.inet_ntoa.argtypes = [in_addr]
assert libc.inet_ntoa(in_addr((C.c_uint8 * 4)(10, 20, 30, 40))) == b"10.20.30.40"
print("python3 ctypes smoke: calls, a callback and structs by value passed")
'

# Runs the client and the smoke test once, with the real library reachable as `how` says.
run_variant() {
  how=$1
  shift
  env -u LD_PRELOAD -u LD_LIBRARY_PATH -u JITFFI_REAL_LIBFFI -u JITFFI_BACKEND \
    JITFFI_STATS="$tmp/client-$how.txt" "$@" "$client" --expect-jitffi="$lib" ||
    fail "$how: the client failed on the replaced file"
  check_stats "$tmp/client-$how.txt" "client ($how)" 10 1 1
  if [ -n "$python" ]; then
    env -u LD_PRELOAD -u LD_LIBRARY_PATH -u JITFFI_REAL_LIBFFI -u JITFFI_BACKEND \
      JITFFI_STATS="$tmp/python-$how.txt" "$@" "$python" -c "$SMOKE" ||
      fail "$how: the python3 ctypes smoke test failed on the replaced file"
    check_stats "$tmp/python-$how.txt" "python3 ($how)" 6 5 0
  fi
}

if [ "${1:-}" = --inside ]; then
  # In the private mount namespace.
  real=$2 lib=$3 client=$4 python=$5 tmp=$6
  mount --bind "$lib" "$real" || fail "mount --bind $lib $real"
  cmp -s "$real" "$lib" || fail "$real is not ours after the bind mount"
  echo "== $real is now ours; the real one is $tmp/env/$(basename "$real") (JITFFI_REAL_LIBFFI)"
  run_variant env JITFFI_REAL_LIBFFI="$tmp/env/$(basename "$real")"
  mount --bind "$tmp/byname" /usr/local/lib || fail "mount --bind $tmp/byname /usr/local/lib"
  echo "== the real one is /usr/local/lib/$(basename "$real") (found by name)"
  run_variant byname
  exit 0
fi

[ $# -eq 4 ] || fail "usage: $0 LIB CLIENT PYTHON --sanitize=<ASan runtime or empty>"
lib=$(readlink -f "$1")
client=$(readlink -f "$2")
python=$3
case $4 in
  --sanitize=) ;;
  --sanitize=*)
    skip "sanitizer build: our libffi.so.8 needs the ASan runtime loaded first, and only" \
      "LD_PRELOAD could do that for python3; this test runs without LD_PRELOAD by design" ;;
  *) fail "the fourth argument must be --sanitize=..." ;;
esac
[ -f "$lib" ] || fail "no library at $1"
[ -x "$client" ] || fail "no client at $2"

# The file the client's loader resolves libffi.so.8 to, on the host as it is.
linked=$(env -u LD_PRELOAD -u LD_LIBRARY_PATH ldd "$client" |
  awk '$1 == "libffi.so.8" && $2 == "=>" { print $3 }')
[ -n "$linked" ] || fail "ldd does not show where $client finds libffi.so.8"
real=$(readlink -f "$linked")
[ -f "$real" ] || fail "$linked resolves to $real, which is not a file"
cmp -s "$real" "$lib" && fail "$real is already our library: nothing to replace"
[ -d /usr/local/lib ] || fail "no /usr/local/lib to hold the real library by name"

ns=""
if unshare --mount --propagation private true 2>/dev/null; then
  ns="unshare --mount --propagation private"
elif unshare --user --map-root-user --mount --propagation private true 2>/dev/null; then
  ns="unshare --user --map-root-user --mount --propagation private"
else
  skip "no private mount namespace here (unshare --mount needs root or user namespaces)"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/jitffi_replace_file.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/env" "$tmp/byname"
cp "$real" "$tmp/env/"
cp "$real" "$tmp/byname/"
chmod -R a+rX "$tmp"
if [ -n "$python" ] && ! command -v "$python" >/dev/null 2>&1; then python=""; fi

echo "== replacing $real (what $linked resolves to) with $lib in a private mount namespace"
$ns sh "$0" --inside "$real" "$lib" "$client" "$python" "$tmp" ||
  fail "the replaced-file runs failed"

# The namespace is gone: the host's file must be the real one still.
cmp -s "$real" "$tmp/env/$(basename "$real")" || fail "$real on the host changed"
cmp -s "$real" "$lib" && fail "the bind mount outlived its namespace: $real is ours on the host"
echo "== $real on the host is untouched"
[ -n "$python" ] || skip "python3 not found: the client's part passed, the ctypes part did not run"
echo "PASS"
