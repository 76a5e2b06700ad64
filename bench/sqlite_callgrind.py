#!/usr/bin/env python3
"""Runs jitffi_sqlite_callcount under callgrind and prints the instructions per row of the sqlite
benchmark (callgrind Ir of one run / 100,000 rows) for the direct program, the binding on the JIT
and the binding on libffi, as a markdown table (each side in a process of its own). With --keep DIR the dumps stay in DIR for
callgrind_annotate. Usage: sqlite_callgrind.py path/to/jitffi_sqlite_callcount [--keep DIR]"""
import argparse
import glob
import os
import re
import subprocess
import tempfile

ROWS = 100000


SIDES = ("direct", "binding", "binding_libffi")


def run(exe, outdir):
    # One process per side, so that no side's allocations change the heap the other runs on.
    counts = {}
    for side in SIDES:
        out = os.path.join(outdir, f"cg.{side}.out")
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", exe, side],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for path in glob.glob(out + "*"):
            text = open(path).read()
            m = re.search(r"^desc: Trigger: Client Request: (.*)$", text, re.M)
            t = re.search(r"^(?:totals|summary): (\d+)", text, re.M)
            if m and t and m.group(1).strip() == side:
                counts[side] = int(t.group(1))
                os.rename(path, os.path.join(outdir, f"callgrind.{side}"))
            else:
                os.remove(path)
    return counts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("exe")
    ap.add_argument("--keep", help="directory to keep the dumps in (callgrind.<side>)")
    a = ap.parse_args()
    if a.keep:
        os.makedirs(a.keep, exist_ok=True)
        c = run(a.exe, a.keep)
    else:
        with tempfile.TemporaryDirectory() as d:
            c = run(a.exe, d)
    d = c["direct"]
    print(f"Instructions per row (callgrind Ir of one run / {ROWS} rows, setup included).\n")
    print("| side | instructions per row | minus direct | ratio to direct |")
    print("|---|---:|---:|---:|")
    for side in SIDES:
        v = c[side]
        print(f"| {side} | {v / ROWS:.1f} | {(v - d) / ROWS:+.1f} | {v / d:.4f}x |")


if __name__ == "__main__":
    main()
