#!/usr/bin/env python3
"""Checks that libjitffi.so exports its public API and nothing else.

  check_exports.py --nm NM --lib libjitffi.so --allowed allowed.txt --header jitffi.h
      Lists the library's defined dynamic symbols (NM -D --defined-only -C) and fails on any
      that is not public: C++ symbols must match a pattern of allowed.txt, and none may name an
      internal namespace (jitffi::abi, jitffi::jit, jitffi::detail, the parser), a std::
      template or asmjit; C symbols must be the jitffi_* functions that jitffi.h declares with
      JITFFI_API. Also fails when a declared C function or an allowed pattern has no export.
  check_exports.py --allowed allowed.txt --header jitffi.h --reject-all symbols.txt
      The checker's own test: every symbol (one per line) of symbols.txt must be rejected.
"""
import argparse
import re
import subprocess
import sys

# Internal names: a symbol whose own name (not its parameter list) mentions one of these is a
# leak even if an allowed pattern matched it.
FORBIDDEN = [
    (re.compile(r"\bjitffi::abi::"), "internal namespace jitffi::abi"),
    (re.compile(r"\bjitffi::jit::"), "internal namespace jitffi::jit"),
    (re.compile(r"::detail::"), "internal namespace detail"),
    (re.compile(r"\bjitffi::(parse::|Parser\b)"), "the parser's internals"),
    (re.compile(r"\basmjit::"), "asmjit"),
    (re.compile(r"^(?:(?:typeinfo|typeinfo name|vtable|VTT|guard variable) for )?std::"),
     "a std:: template instantiated in the library"),
]


def own_name(sym):
    """The symbol without its parameter list: `ns::f(int)` -> `ns::f`."""
    sym = re.sub(r"operator(\(\)|<<=?|>>=?|<=>|<=?|>=?|->\*?)", "operator@", sym)
    depth = 0
    for i, ch in enumerate(sym):
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
        elif ch == "(" and depth == 0:
            return sym[:i]
    return sym


def load_allowed(path):
    patterns = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                patterns.append((line, re.compile(line)))
    return patterns


def declared_c_functions(header):
    with open(header) as f:
        text = "\n".join(l for l in f.read().splitlines() if not l.lstrip().startswith("#"))
    return set(re.findall(r"\bJITFFI_API\b[^;{]*?\b(jitffi_\w+)\s*\(", text))


def verdict(sym, allowed, c_decls):
    """None when sym may be exported, else the reason it may not."""
    if re.fullmatch(r"[A-Za-z_]\w*", sym):  # a C symbol
        if sym in c_decls:
            return None
        if sym.startswith("jitffi_"):
            return "a C function that include/jitffi.h does not declare with JITFFI_API"
        return "not part of the API"
    name = own_name(sym)
    for rx, why in FORBIDDEN:
        if rx.search(name):
            return why
    for _, rx in allowed:
        if rx.match(sym):
            return None
    return "not in tests/exports/allowed.txt (not declared public)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nm")
    ap.add_argument("--lib")
    ap.add_argument("--allowed", required=True)
    ap.add_argument("--header", required=True)
    ap.add_argument("--reject-all")
    a = ap.parse_args()
    allowed = load_allowed(a.allowed)
    c_decls = declared_c_functions(a.header)
    if len(c_decls) < 10:
        print(f"found only {len(c_decls)} JITFFI_API functions in {a.header}: header not parsed")
        return 1

    if a.reject_all:
        with open(a.reject_all) as f:
            syms = [l.rstrip("\n") for l in f if l.strip() and not l.startswith("#")]
        accepted = [s for s in syms if verdict(s, allowed, c_decls) is None]
        for s in syms:
            print(f"{'ACCEPTED (wrong)' if s in accepted else 'rejected'}: {s}: "
                  f"{verdict(s, allowed, c_decls)}")
        print(f"{len(syms) - len(accepted)} of {len(syms)} leaks rejected")
        return 1 if accepted or not syms else 0

    out = subprocess.run([a.nm, "-D", "--defined-only", "-C", a.lib], check=True,
                         capture_output=True, text=True).stdout
    syms = []
    for line in out.splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3:
            syms.append(parts[2].split("@")[0])
    if not syms:
        print(f"{a.nm} listed no symbols of {a.lib}")
        return 1
    bad = [(s, verdict(s, allowed, c_decls)) for s in syms]
    bad = [(s, why) for s, why in bad if why]
    for s, why in bad:
        print(f"leaked: {s}   <- {why}")
    missing_c = sorted(c_decls - set(syms))
    for name in missing_c:
        print(f"not exported: {name} (declared in {a.header})")
    stale = [p for p, rx in allowed if not any(rx.match(s) for s in syms)]
    for p in stale:
        print(f"allowed.txt pattern matches no export (stale?): {p}")
    n_c = sum(1 for s in syms if s in c_decls)
    print(f"{a.lib}: {len(syms)} exports ({n_c} C functions of {len(c_decls)} declared, "
          f"{len(syms) - n_c} C++), {len(bad)} not public, {len(missing_c)} C functions missing, "
          f"{len(stale)} stale patterns")
    return 1 if bad or missing_c or stale else 0


if __name__ == "__main__":
    sys.exit(main())
