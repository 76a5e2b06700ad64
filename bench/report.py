#!/usr/bin/env python3
"""Turns jitffi_bench's JSON (Google Benchmark, ideally with --benchmark_repetitions and
--benchmark_report_aggregates_only) into a markdown table of ratios to direct/*, and checks the
issue's targets. Usage: report.py bench.json [--machine "text"] [--real] [--chart out.svg] > table.md

--chart also draws the per-signature chart of docs/performance.md (ns per call of direct, jit,
jit_value, jit_slots, cxx_stub and libffi on S1-S8, log scale) into out.svg with matplotlib
(Debian: python3-matplotlib).

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


# The chart's series: (row prefix, legend, colour).
CHART_SERIES = [
    ("direct", "direct call (through a pointer)", "#222222"),
    ("jit_value", "jit_value: value entry R(fn, args)", "#1f77b4"),
    ("jit_slots", "jit_slots: slot entry R(fn, slots)", "#17becf"),
    ("cxx_value", "cxx_value: value entry by hand in C++ (the floor)", "#9edae5"),
    ("jit", "jit: boxed call(ret, args)", "#2ca02c"),
    ("cxx_stub", "cxx_stub: boxed stub by hand in C++", "#bcbd22"),
    ("libffi", "libffi: ffi_call", "#d62728"),
]


# Rows that are not the entry they are named after: S7 returns in memory and has no value or slot
# entry, so these rows are Function::call_value / call_slots falling back to the boxed call.
CHART_FALLBACK = {("jit_value", "S7"), ("jit_slots", "S7")}


def chart(t, path, title):
    """Grouped horizontal bars, one group per signature, ns per call on a log axis (libffi's
    rows are 10-100x the others)."""
    import matplotlib
    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "jitffi"  # stable ids: the SVG diffs cleanly
    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: smaller, searchable
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, NullLocator

    cases = sorted({n.split("/")[1] for n in t if n.startswith("direct/")})
    series = [s for s in CHART_SERIES if any(f"{s[0]}/{c}" in t for c in cases)]
    bar = 0.8 / len(series)
    fig, ax = plt.subplots(figsize=(9, 2.0 + 1.05 * len(cases)))
    for i, (key, label, colour) in enumerate(series):
        ys, xs, hatches = [], [], []
        for j, c in enumerate(cases):
            v = t.get(f"{key}/{c}")
            if v:
                ys.append(j + (i - (len(series) - 1) / 2) * bar)
                xs.append(v)
                hatches.append("////" if (key, c) in CHART_FALLBACK else "")
        bars = ax.barh(ys, xs, height=bar * 0.92, color=colour, label=label)
        for b, h in zip(bars, hatches):
            if h:
                b.set_hatch(h)
                b.set_edgecolor("white")
        for y, x in zip(ys, xs):
            ax.text(x * 1.03, y, f"{x:.2f}" if x < 10 else f"{x:.0f}", va="center", fontsize=6.5)
    labels = []
    for c in cases:
        sig = next((k["sig"] for k in CASE_SIGS if k["name"] == c), "")
        labels.append(f"{c}\n{sig}" if sig else c)
    ax.set_yticks(range(len(cases)))
    ax.set_yticklabels(labels, fontsize=7.5)
    ax.invert_yaxis()
    ax.set_xscale("log")
    lo = min(v for n, v in t.items() if n.split("/")[0] in [s[0] for s in series])
    hi = max(v for n, v in t.items() if n.split("/")[0] in [s[0] for s in series])
    ax.set_xlim(lo * 0.7, hi * 1.6)
    ticks = [x for x in (0.5, 1, 1.5, 2, 3, 5, 7, 10, 20, 50, 100, 200, 500) if lo * 0.7 <= x <= hi * 1.6]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticklabels([f"{x:g}" for x in ticks])
    ax.set_xlabel("ns per call (log scale; median of repetitions, CPU time)")
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.07), ncol=2,
              frameon=False)
    ax.set_title(title + "\nhatched: S7 returns in memory and has no value or slot entry "
                 "(those rows are the boxed fallback)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, format="svg", metadata={"Date": None})


# S1-S8's signatures (bench/cases.h), for the chart's labels.
CASE_SIGS = [
    {"name": "S1", "sig": "void()"},
    {"name": "S2", "sig": "i32(i32,i32)"},
    {"name": "S3", "sig": "f64(f64 x4)"},
    {"name": "S4", "sig": "i64(8 i64/f64)"},
    {"name": "S5", "sig": "f64(12 mixed)"},
    {"name": "S6", "sig": "{f64,f64}(2 of them)"},
    {"name": "S7", "sig": "{i64 x3}(2 of them)"},
    {"name": "S8", "sig": "i32(ptr,...,i32,f64,i64)"},
]


def main():
    args = sys.argv[1:]
    machine = None
    chart_path = None
    if "--chart" in args:
        i = args.index("--chart")
        chart_path = args[i + 1]
        del args[i : i + 2]
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
    value_ratios, slot_ratios, ffi_over_value, cxx_value_ratios = [], [], [], []
    if any(n.startswith("jit_value/") for n in t):
        out.append("Value and slot entries (raw entry pointers, arguments prepared once; S7 "
                   "returns in memory and has neither: its rows are the boxed call), and typed "
                   "calls through `Function::as<F>()` now and as `invoke` made them before:\n")
        out.append("| sig | direct ns | jit_value ns | value/direct | cxx_value ns | cxx_value/direct "
                   "| jit_slots ns | slots/direct | cxx_slots ns | jit_invoke ns "
                   "| jit_invoke_boxed ns | libffi/jit_value |")
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for c in cases:
            d, v, s_, f = (t.get(f"{k}/{c}") for k in ("direct", "jit_value", "jit_slots", "libffi"))
            cv, cs = t.get(f"cxx_value/{c}"), t.get(f"cxx_slots/{c}")
            i, ib = t.get(f"jit_invoke/{c}"), t.get(f"jit_invoke_boxed/{c}")
            ns = lambda x: f"{x:.2f}" if x else "-"
            ratio = lambda x: f"{x / d:.2f}x" if x and d else "-"
            row = [c, ns(d), ns(v), ratio(v), ns(cv), ratio(cv), ns(s_), ratio(s_), ns(cs), ns(i),
                   ns(ib), f"{f / v:.1f}x" if f and v else "-"]
            out.append("| " + " | ".join(row) + " |")
            if v and d:
                value_ratios.append(v / d)
            if s_ and d:
                slot_ratios.append(s_ / d)
            if cv and d:
                cxx_value_ratios.append(cv / d)
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
        "jit_value", "jit_slots", "jit_invoke", "jit_invoke_boxed", "cxx_value", "cxx_slots")]
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
    if cxx_value_ratios:
        m = statistics.median(cxx_value_ratios)
        checks.append(("(floor) median cxx_value/direct over S1-S8", f"{m:.2f}x", "-", None))
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
            met = "-" if ok is None else "yes" if ok else "**no**"
            out.append(f"| {name} | {val} | {goal} | {met} |")
    print("\n".join(out))
    if chart_path:
        title = (f"jitffi, ns per call on S1-S8: {machine or ctx.get('host_name', '?')}, "
                 f"run {ctx.get('date', '?')[:16]}")
        chart(t, chart_path, title)


if __name__ == "__main__":
    main()
