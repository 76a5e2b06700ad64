#!/usr/bin/env python3
"""Runs jitffi_parsecount under callgrind and prints, for each text of bench/parse_texts.h,
the instructions per parse (callgrind Ir / N, loop included) and per parameter, as a markdown
table. Usage: parse_callgrind.py path/to/jitffi_parsecount [N] > table.md"""
import glob
import os
import re
import subprocess
import sys
import tempfile

PARAMS = {"compact/small": 3, "compact/pow": 2, "compact/struct": 3, "compact/45": 45,
          "c/pow": 2, "c/memcpy": 3, "c/snprintf": 3, "c/40": 40, "c/fopen": 2, "c/main": 2,
          "c/qsort": 4}


def run(exe, n):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "cg.out")
        subprocess.run(["valgrind", "--tool=callgrind", "--collect-atstart=yes",
                        f"--callgrind-out-file={out}", exe, str(n)],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        counts = {}
        for path in glob.glob(out + "*"):
            text = open(path, errors="replace").read()
            m = re.search(r"^desc: Trigger: Client Request: (.*)$", text, re.M)
            t = re.search(r"^(?:totals|summary): (\d+)", text, re.M)
            if m and t:
                counts[m.group(1).strip()] = int(t.group(1))
        return counts


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
