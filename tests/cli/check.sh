#!/bin/sh
# Runs one command and checks its exit status and output; used by tests/cli/tests.cmake.
#   check.sh [--status N] [--stdout TEXT] [--out ERE] [--no-out ERE] [--err ERE] [--no-err ERE] -- CMD ARG...
#   --status N    the exit status must be N (default 0)
#   --stdout TEXT stdout must be exactly TEXT (trailing newlines ignored, \n in TEXT is a newline)
#   --out ERE     some line of stdout must match the extended regular expression
#   --no-out ERE  no line of stdout may match
#   --err ERE     some line of stderr must match
#   --no-err ERE  no line of stderr may match
# Options may repeat. Prints what was run and what it printed when a check fails.
status=0
checks_file=$(mktemp)
out_file=$(mktemp)
err_file=$(mktemp)
trap 'rm -f "$checks_file" "$out_file" "$err_file"' EXIT
while [ $# -gt 0 ]; do
  case "$1" in
    --status) status=$2; shift 2 ;;
    --stdout|--out|--no-out|--err|--no-err) printf '%s\n%s\n' "$1" "$2" >>"$checks_file"; shift 2 ;;
    --) shift; break ;;
    *) echo "check.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "check.sh: no command" >&2; exit 2; }

"$@" >"$out_file" 2>"$err_file"
rc=$?
failed=0
fail() { echo "FAIL: $*"; failed=1; }

[ "$rc" = "$status" ] || fail "exit status $rc, expected $status"
while IFS= read -r kind && IFS= read -r value; do
  case "$kind" in
    --stdout)
      expected=$(printf '%b' "$value")
      actual=$(cat "$out_file")
      [ "$actual" = "$expected" ] || fail "stdout is not exactly: $expected" ;;
    --out) grep -Eq -e "$value" "$out_file" || fail "no stdout line matches: $value" ;;
    --no-out) ! grep -Eq -e "$value" "$out_file" || fail "a stdout line matches: $value" ;;
    --err) grep -Eq -e "$value" "$err_file" || fail "no stderr line matches: $value" ;;
    --no-err) ! grep -Eq -e "$value" "$err_file" || fail "a stderr line matches: $value" ;;
  esac
done <"$checks_file"

if [ "$failed" != 0 ]; then
  printf 'command:'; printf " '%s'" "$@"; echo
  echo "--- stdout"; cat "$out_file"
  echo "--- stderr"; cat "$err_file"
  exit 1
fi
echo "ok (exit $rc)"
exit 0
