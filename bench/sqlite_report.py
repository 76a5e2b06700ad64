#!/usr/bin/env python3
"""Prints the sqlite benchmark's table from Google Benchmark JSON files (one or more runs of
jitffi_bench_sqlite with --benchmark_repetitions and --benchmark_format=json or
--benchmark_out): for each row the median CPU time per iteration over every repetition of every
file, and per file the ratio of medians to the direct program, then the median of those ratios.
Usage: sqlite_report.py run1.json [run2.json ...] [--real]"""
import json
import statistics
import sys

ROWS = ("direct", "binding", "binding_libffi")


def times(path, key):
    data = json.load(open(path))
    out = {r: [] for r in ROWS}
    for b in data["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        name = b["name"].split("/")[1] if "/" in b["name"] else b["name"]
        if name in out:
            out[name].append(b[key] / b["iterations"] if key == "total" else b[key])
    return out, data["context"]


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    key = "real_time" if "--real" in sys.argv else "cpu_time"
    all_t = {r: [] for r in ROWS}
    ratios = {r: [] for r in ROWS[1:]}
    ctx = None
    for path in args:
        t, ctx = times(path, key)
        med = {r: statistics.median(v) for r, v in t.items() if v}
        for r in ROWS:
            all_t[r] += t[r]
        for r in ROWS[1:]:
            if r in med and "direct" in med:
                ratios[r].append(med[r] / med["direct"])
    print(f"{len(args)} runs, {key}, load average at the start of the last run: "
          f"{ctx.get('load_avg')}\n")
    print("| row | repetitions | median ms | per row ns | ratio to direct (median of runs) "
          "| min-max over runs |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in ROWS:
        if not all_t[r]:
            continue
        m = statistics.median(all_t[r])
        q = ratios.get(r)
        ratio = f"{statistics.median(q):.3f}x" if q else "1"
        span = f"{min(q):.3f}-{max(q):.3f}" if q else ""
        print(f"| {r} | {len(all_t[r])} | {m:.2f} | {m * 1e6 / 100000:.0f} | {ratio} | {span} |")


if __name__ == "__main__":
    main()
