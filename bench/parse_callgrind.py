#!/usr/bin/env python3
"""Runs jitffi_parsecount under callgrind and prints, for each text of bench/parse_texts.h,
the instructions per parse (callgrind Ir / N, loop included) and per parameter, as a markdown
table. Usage: parse_callgrind.py path/to/jitffi_parsecount [N] > table.md"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from callgrind import run  # noqa: E402  (the same callgrind run and per-section totals)

PARAMS = {"compact/small": 3, "compact/pow": 2, "compact/struct": 3, "compact/45": 45,
          "c/pow": 2, "c/memcpy": 3, "c/snprintf": 3, "c/40": 40, "c/fopen": 2, "c/main": 2,
          "c/qsort": 4}


def main():
    exe = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    c = run(exe, n)
    print(f"Instructions per parse (callgrind Ir / {n} parses, loop included).\n")
    print("| text | parameters | instructions per parse | per parameter |")
    print("|---|---:|---:|---:|")
    for name, params in PARAMS.items():
        key = "parse/" + name
        if key not in c:
            print(f"| {name} | {params} | - | - |")
            continue
        per = c[key] / n
        print(f"| {name} | {params} | {per:,.0f} | {per / params:,.0f} |")


if __name__ == "__main__":
    main()
