#!/usr/bin/env python3
"""Turns jitffi_bench's JSON (Google Benchmark, ideally with --benchmark_repetitions and
--benchmark_report_aggregates_only) into a markdown table of ratios to direct/*, and checks the
issue's targets. Usage: report.py bench.json [--machine "text"] [--real] > table.md

Times are CPU time by default: on a shared machine real time also counts the time the process
waited for a core, which says nothing about the code; --real uses wall-clock time instead."""
import json
import math
import statistics
import sys


def load(path, field):
    with open(path) as f:
        data = json.load(f)
    times = {}
    for b in data["benchmarks"]:
        name = b.get("run_name", b["name"])
        kind = b.get("aggregate_name")
        if kind and kind != "median":
            continue
        if b.get("error_occurred"):
            continue
        ns = b[field] * {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
        # Without aggregates keep the median of the repetitions ourselves.
        times.setdefault(name, []).append(ns)
    return data.get("context", {}), {k: statistics.median(v) for k, v in times.items()}


def geomean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


def main():
    args = sys.argv[1:]
    machine = None
    if "--machine" in args:
        i = args.index("--machine")
        machine = args[i + 1]
        del args[i : i + 2]
    field = "cpu_time"
    if "--real" in args:
        args.remove("--real")
        field = "real_time"
    ctx, t = load(args[0], field)
    cases = sorted({n.split("/")[1] for n in t if n.startswith("direct/")})
    out = []
    out.append(f"Machine: {machine or ctx.get('host_name', '?')}, {ctx.get('num_cpus', '?')} CPUs "
               f"@ {ctx.get('mhz_per_cpu', '?')} MHz, run {ctx.get('date', '?')}; "
               f"median of repetitions, {field.replace('_', ' ')}.\n")
    out.append("| sig | direct ns | jit ns | jit/direct | C++ stub ns | stub/direct | libffi ns "
               "| libffi/direct | libffi/jit |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    jit_ratios, ffi_over_jit = [], []
    for c in cases:
        d, j, f = t.get(f"direct/{c}"), t.get(f"jit/{c}"), t.get(f"libffi/{c}")
        x = t.get(f"cxx_stub/{c}")
        row = [c, f"{d:.2f}" if d else "-"]
        row += [f"{j:.2f}" if j else "-", f"{j / d:.2f}x" if j and d else "-"]
        row += [f"{x:.2f}" if x else "-", f"{x / d:.2f}x" if x and d else "-"]
        row += [f"{f:.2f}" if f else "-", f"{f / d:.2f}x" if f and d else "-"]
        row += [f"{f / j:.1f}x" if f and j else "-"]
        out.append("| " + " | ".join(row) + " |")
        if j and d:
            jit_ratios.append(j / d)
        if j and f:
            ffi_over_jit.append(f / j)
    out.append("")
    # Issue 12: the value and slot entries, and invoke (typed handle) before and after.
    value_ratios, slot_ratios, ffi_over_value = [], [], []
    if any(n.startswith("jit_value/") for n in t):
        out.append("Value and slot entries (raw entry pointers, arguments prepared once; S7 "
                   "returns in memory and has neither: its rows are the boxed call), and typed "
                   "calls through `Function::as<F>()` now and as `invoke` made them before:\n")
        out.append("| sig | direct ns | jit_value ns | value/direct | jit_slots ns | slots/direct "
                   "| jit_invoke ns | jit_invoke_boxed ns | libffi/jit_value |")
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for c in cases:
            d, v, s_, f = (t.get(f"{k}/{c}") for k in ("direct", "jit_value", "jit_slots", "libffi"))
            i, ib = t.get(f"jit_invoke/{c}"), t.get(f"jit_invoke_boxed/{c}")
            row = [c, f"{d:.2f}" if d else "-", f"{v:.2f}" if v else "-",
                   f"{v / d:.2f}x" if v and d else "-", f"{s_:.2f}" if s_ else "-",
                   f"{s_ / d:.2f}x" if s_ and d else "-", f"{i:.2f}" if i else "-",
                   f"{ib:.2f}" if ib else "-", f"{f / v:.1f}x" if f and v else "-"]
            out.append("| " + " | ".join(row) + " |")
            if v and d:
                value_ratios.append(v / d)
            if s_ and d:
                slot_ratios.append(s_ / d)
            if f and v:
                ffi_over_value.append(f / v)
        out.append("")
    win = sorted({n.split("/")[1] for n in t if n.startswith("direct_win64/")})
    if win:
        out.append("Win64 (targets compiled with `__attribute__((ms_abi))`, JIT with `win64:` plans, "
                   "libffi with FFI_WIN64):\n")
        out.append("| sig | direct ns | jit ns | jit/direct | libffi ns | libffi/direct | libffi/jit |")
        out.append("|---|---:|---:|---:|---:|---:|---:|")
        for c in win:
            d, j, f = (t.get(f"{k}_win64/{c}") for k in ("direct", "jit", "libffi"))
            row = [c, f"{d:.2f}" if d else "-", f"{j:.2f}" if j else "-",
                   f"{j / d:.2f}x" if j and d else "-", f"{f:.2f}" if f else "-",
                   f"{f / d:.2f}x" if f and d else "-", f"{f / j:.1f}x" if f and j else "-"]
            out.append("| " + " | ".join(row) + " |")
        out.append("")
    other = [n for n in sorted(t) if n.split("/")[0] not in (
        "direct", "jit", "libffi", "cxx_stub", "direct_win64", "jit_win64", "libffi_win64",
        "jit_value", "jit_slots", "jit_invoke", "jit_invoke_boxed")]
    if other:
        out.append("| benchmark | ns |")
        out.append("|---|---:|")
        for n in other:
            out.append(f"| {n} | {t[n]:.2f} |")
        out.append("")
    checks = []
    if jit_ratios:
        m = statistics.median(jit_ratios)
        checks.append(("median jit/direct over S1-S8", f"{m:.2f}x", "<= 1.10x", m <= 1.10))
    if ffi_over_jit:
        g = geomean(ffi_over_jit)
        checks.append(("geomean libffi/jit", f"{g:.1f}x", ">= 10x", g >= 10))
    if value_ratios:
        m = statistics.median(value_ratios)
        checks.append(("median jit_value/direct over S1-S8", f"{m:.2f}x", "<= 1.10x", m <= 1.10))
    if slot_ratios:
        m = statistics.median(slot_ratios)
        checks.append(("median jit_slots/direct over S1-S8", f"{m:.2f}x", "<= 1.10x", m <= 1.10))
    if ffi_over_value:
        g = geomean(ffi_over_value)
        checks.append(("geomean libffi/jit_value", f"{g:.1f}x", ">= 12x", g >= 12))
    if "jit_closure/S2" in t and "direct/S2" in t:
        r = t["jit_closure/S2"] / t["direct/S2"]
        checks.append(("jit_closure/S2 / direct/S2", f"{r:.2f}x", "<= 1.2x", r <= 1.2))
    prep = [v for n, v in t.items() if n.startswith("jit_prepare/")]
    if prep:
        checks.append(("jit_prepare (max over S*)", f"{max(prep):.0f} ns", "<= 1000 ns",
                       max(prep) <= 1000))
    if "jit_cache_hit/S2" in t:
        v = t["jit_cache_hit/S2"]
        checks.append(("cache hit", f"{v:.1f} ns", "<= 20 ns", v <= 20))
    if checks:
        out.append("| target | measured | goal | met |")
        out.append("|---|---:|---:|---|")
        for name, val, goal, ok in checks:
            out.append(f"| {name} | {val} | {goal} | {'yes' if ok else '**no**'} |")
    print("\n".join(out))


if __name__ == "__main__":
    main()
