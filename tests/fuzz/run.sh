#!/bin/sh
# Runs the fuzzers of a -DJITFFI_FUZZ=ON build: first every file of tests/fuzz/regressions/ once
# through each target (each must finish within the time and memory bounds), then each target for
# a bounded time from the seed corpus (tests/fuzz/corpus/, read only: new inputs go to
# <build>/fuzz-work/<target>/). A crash, sanitizer report, timeout or memory blow-up fails the
# run; its input is left in <build>/fuzz-artifacts/. See docs/testing.md.
#
#   tests/fuzz/run.sh BUILD_DIR [SECONDS_PER_TARGET]     (default 60)
# Extra libFuzzer options can be given in FUZZ_OPTS (e.g. FUZZ_OPTS=-jobs=2).
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: run.sh BUILD_DIR [SECONDS]}
seconds=${2:-60}
targets="fuzz_parse fuzz_pipeline"
# Per input: 10 s (ASan+UBSan build; the slowest seed takes well under a second) and 2 GB.
bounds="-timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048"
artifacts="$build/fuzz-artifacts"
mkdir -p "$artifacts"
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

status=0
for t in $targets; do
  bin="$build/tests/fuzz/$t"
  if [ ! -x "$bin" ]; then
    echo "fuzz: $bin is missing (configure with -DJITFFI_FUZZ=ON and build $t)"
    status=1
    continue
  fi
  # The regressions: each file once, as a plain input.
  set -- "$here"/regressions/*
  if [ -e "$1" ]; then
    # shellcheck disable=SC2086  # bounds are words
    if "$bin" $bounds -artifact_prefix="$artifacts/$t-regression-" "$@" >"$artifacts/$t-regressions.log" 2>&1; then
      echo "fuzz: $t: $# regression inputs pass"
    else
      echo "fuzz: $t: a regression input FAILED (log: $artifacts/$t-regressions.log)"
      tail -n 30 "$artifacts/$t-regressions.log"
      status=1
    fi
  fi
  # The bounded run.
  work="$build/fuzz-work/$t"
  mkdir -p "$work"
  log="$artifacts/$t.log"
  # shellcheck disable=SC2086
  if "$bin" $bounds -max_total_time="$seconds" -print_final_stats=1 \
    -dict="$here/signatures.dict" -artifact_prefix="$artifacts/$t-" ${FUZZ_OPTS:-} \
    "$work" "$here/corpus" >"$log" 2>&1; then
    result=ok
  else
    result=FAILED
    status=1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
  echo "fuzz: $t: $result, ${runs:-?} inputs in ${seconds} s, ${cov:-cov: ?}, peak RSS ${rss:-?} MB (log: $log)"
  if [ "$result" = FAILED ]; then
    grep -E '^(==[0-9]+==|SUMMARY|fuzz_(parse|pipeline):|  input:|  )' "$log" | head -n 20
    ls "$artifacts/$t-"* 2>/dev/null | grep -v '\.log$' | sed 's/^/fuzz: failing input: /'
  fi
done
exit $status
