#!/bin/sh
# Runs one Scheme test file with Debian's Chez Scheme: run.sh SOURCE_DIR FILE.ss
# Exit 77 (skipped) when `scheme` is not installed (scripts/deps.sh installs chezscheme).
src=$1
shift
if ! command -v scheme >/dev/null 2>&1; then
  echo "SKIP: Chez Scheme's \`scheme\` is not on PATH (apt-get install chezscheme)"
  exit 77
fi
exec scheme -q --libdirs "$src/bindings/chez:$src/tests/chez" --script "$@"
