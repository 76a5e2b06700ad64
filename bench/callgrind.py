#!/usr/bin/env python3
"""Runs jitffi_callcount under callgrind and prints instructions per call (Ir / N) for each
section as a markdown table: direct, jit, C++ stub and libffi on S1-S8, the closure, the cache
hit and preparing. Usage: callgrind.py path/to/jitffi_callcount [N] > table.md"""
import glob
import os
import re
import subprocess
import sys
import tempfile


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
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    c = run(exe, n)
    per = lambda name, calls=n: c[name] / calls if name in c else None
    fmt = lambda v: f"{v:.1f}" if v is not None else "-"
    print(f"Instructions per call (callgrind Ir / calls, {n} calls per row, loop included).\n")
    print("| sig | direct | jit | jit - direct | C++ stub | libffi | libffi/jit |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for k in range(1, 9):
        s = f"S{k}"
        d, j, x, f = (per(f"{p}/{s}") for p in ("direct", "jit", "cxx_stub", "libffi"))
        row = [s, fmt(d), fmt(j), fmt(j - d) if j and d else "-", fmt(x), fmt(f),
               f"{f / j:.1f}x" if f and j else "-"]
        print("| " + " | ".join(row) + " |")
    print()
    print("The value and slot entries (issue 12), and invoke through a typed handle against the")
    print("same call made the way invoke made it before (boxed):\n")
    print("| sig | direct | jit_value | jit_slots | value - direct | slots - direct | cxx_value "
          "| cxx_slots | jit_invoke | jit_invoke_boxed | libffi/jit_value |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for k in range(1, 9):
        s = f"S{k}"
        d, v, sl, i, ib, f = (per(f"{p}/{s}") for p in ("direct", "jit_value", "jit_slots",
                                                         "jit_invoke", "jit_invoke_boxed",
                                                         "libffi"))
        cv, cs = per(f"cxx_value/{s}"), per(f"cxx_slots/{s}")
        row = [s, fmt(d), fmt(v), fmt(sl), fmt(v - d) if v and d else "-",
               fmt(sl - d) if sl and d else "-", fmt(cv), fmt(cs), fmt(i), fmt(ib),
               f"{f / v:.1f}x" if f and v else "-"]
        print("| " + " | ".join(row) + " |")
    print()
    print("| other | instructions |")
    print("|---|---:|")
    prep_n = n // 100 + 1
    for name in ("jit_closure/S2", "cxx_closure/S2", "jit_cache_hit/S2"):
        print(f"| {name} | {fmt(per(name))} |")
    for k in range(1, 9):
        name = f"jit_prepare/S{k}"
        print(f"| {name} | {fmt(per(name, prep_n))} |")
    for name in ("jit_prepare_after_throw/S2", "throw_catch/0_extra_stubs",
                 "throw_catch/1000_extra_stubs"):
        print(f"| {name} | {fmt(per(name, prep_n))} |")


if __name__ == "__main__":
    main()
