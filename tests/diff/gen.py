#!/usr/bin/env python3
"""Generator of the differential suite: random signatures and the C code that judges them.

For each signature i it writes C (compiled by the system compiler, the judge of the ABI):
  R diff_target_i(params...)        checks every argument member by member, returns a known value
  void diff_fill_args_i(void **)    writes the known arguments into the driver's boxes
  int diff_check_args_i(void **)    checks boxed arguments as a closure handler receives them
  int diff_check_ret_i(const void*) checks a result buffer
  void diff_fill_ret_i(void *)      writes the known result (closure handlers)
  int diff_call_closure_i(void *)   calls a function pointer with the known arguments and checks
                                    the result it returns
and a table entry with the canonical signature text and the C layout of every type.

Signature i depends only on (seed, abi, i), never on --count: a failing index reproduces in any
run with the same seed. See docs/testing.md.
"""

import argparse
import os
import random
import sys

# kind -> (C type, size, align, kind of check)
SCALARS = {
    "bool": ("_Bool", 1, 1, "INT"),
    "i8": ("int8_t", 1, 1, "INT"),
    "u8": ("uint8_t", 1, 1, "INT"),
    "i16": ("int16_t", 2, 2, "INT"),
    "u16": ("uint16_t", 2, 2, "INT"),
    "i32": ("int32_t", 4, 4, "INT"),
    "u32": ("uint32_t", 4, 4, "INT"),
    "i64": ("int64_t", 8, 8, "INT"),
    "u64": ("uint64_t", 8, 8, "INT"),
    "i128": ("__int128", 16, 16, "I128"),
    "u128": ("unsigned __int128", 16, 16, "I128"),
    "f32": ("float", 4, 4, "FP"),
    "f64": ("double", 8, 8, "FP"),
    "ldouble": ("long double", 16, 16, "LD"),
    "ptr": ("diff_ptr", 8, 8, "PTR"),  # void *, as a typedef so `const T *` works
}

# Kinds that survive the default argument promotions (C11 6.5.2.2p6): allowed after `...`.
PROMOTED = ["i32", "u32", "i64", "u64", "f64", "ptr", "ldouble"]

ABIS = {
    # abi -> (function attribute, long double exists as its own type)
    "sysv": ("", True),
    "win64": ("__attribute__((ms_abi)) ", False),
    "aapcs64": ("", True),
}


class Ty:
    """A C type: a scalar kind, a struct, a union or an array (member only)."""

    def __init__(self, kind, name=None, members=None, elem=None, count=0):
        self.kind = kind  # "scalar", "struct", "union", "array"
        self.name = name  # scalar kind, or the C tag of an aggregate
        self.members = members or []
        self.elem = elem
        self.count = count
        if kind == "scalar":
            _, self.size, self.align, _ = SCALARS[name]
        elif kind == "array":
            self.size, self.align = elem.size * count, elem.align
        else:
            self.align = max(m.align for m in self.members)
            if kind == "struct":
                off = 0
                for m in self.members:
                    off = align_up(off, m.align) + m.size
            else:
                off = max(m.size for m in self.members)
            self.size = align_up(off, self.align)
        # A union is checked through its largest member only: the others overlap it.
        self.active = 0
        if kind == "union":
            self.active = max(range(len(self.members)), key=lambda k: self.members[k].size)

    def canonical(self):
        if self.kind == "scalar":
            return self.name
        if self.kind == "array":
            # C order: an array of 2 arrays of 3 is `T[2][3]`.
            dims, t = "", self
            while t.kind == "array":
                dims += "[%d]" % t.count
                t = t.elem
            return t.canonical() + dims
        inner = ",".join(m.canonical() for m in self.members)
        return ("{%s}" if self.kind == "struct" else "union{%s}") % inner

    def cname(self):
        return SCALARS[self.name][0] if self.kind == "scalar" else self.name

    def declarator(self, ident):
        """`T ident` for a member, with array dimensions after the name."""
        dims, t = "", self
        while t.kind == "array":
            dims += "[%d]" % t.count
            t = t.elem
        ctype = t.cname()
        sep = "" if ctype.endswith("*") else " "
        return "%s%s%s%s" % (ctype, sep, ident, dims)

    def leaves(self, path="", checked=True):
        """(path, scalar kind) in memory order; checked=True follows only a union's active member,
        else every member (the order of jitffi::Type::for_each_scalar)."""
        if self.kind == "scalar":
            yield path, self.name
        elif self.kind == "array":
            for j in range(self.count):
                yield from self.elem.leaves("%s[%d]" % (path, j), checked)
        else:
            for k, m in enumerate(self.members):
                if checked and self.kind == "union" and k != self.active:
                    continue
                yield from m.leaves("%s.m%d" % (path, k), checked)


def align_up(n, a):
    return (n + a - 1) // a * a


class Gen:
    """Draws one signature from its own random stream."""

    def __init__(self, abi, seed, index):
        self.abi = abi
        self.rng = random.Random("%s/%s/%d" % (seed, abi, index))
        self.index = index
        self.types = []  # aggregates in definition order (members before their users)
        self.has_ld = ABIS[abi][1]

    # ---- types -------------------------------------------------------------------------------

    def scalar_kind(self, max_size=16, floats_only=None):
        r = self.rng
        if floats_only:
            return floats_only
        table = [
            ("bool", 3), ("i8", 5), ("u8", 5), ("i16", 5), ("u16", 5), ("i32", 9), ("u32", 6),
            ("i64", 8), ("u64", 6), ("f32", 12), ("f64", 14), ("ptr", 7),
            ("i128", 1), ("u128", 1), ("ldouble", 2 if self.has_ld else 0),
        ]
        table = [(k, w) for k, w in table if w and SCALARS[k][1] <= max_size]
        return r.choices([k for k, _ in table], [w for _, w in table])[0]

    def aggregate(self, target, depth=0):
        r = self.rng
        kind = "union" if r.random() < 0.18 else "struct"
        # Homogeneous float aggregates exercise SSE classes and AAPCS64 HFAs.
        floats_only = None
        if r.random() < 0.25:
            floats_only = r.choice(["f32", "f64"] + (["ldouble"] if self.has_ld and
                                                      r.random() < 0.1 else []))
        max_members = r.randint(1, 4) if kind == "union" else r.randint(1, 8)
        members = []
        size = 0
        while len(members) < max_members:
            room = (target - size) if kind == "struct" else target
            if members and room <= 0:
                break
            m = self.member(max(room, 1), depth, floats_only)
            trial = members + [m]
            tsize = Ty(kind, "x", trial).size
            if tsize > 64 or (members and tsize > target + 8):
                break
            members = trial
            size = tsize
        if not members:
            members = [Ty("scalar", floats_only or "i8")]
        tag = "s%d_%d" % (self.index, len(self.types))
        t = Ty(kind, tag, members)
        self.types.append(t)
        return t

    def member(self, room, depth, floats_only):
        r = self.rng
        x = r.random()
        if x < 0.14 and depth < 3 and room >= 2:
            return self.aggregate(r.randint(1, min(room, 32)), depth + 1)
        if x < 0.30:
            if r.random() < 0.2 and depth < 3 and room >= 4:
                # An array of small aggregates.
                elem = self.aggregate(r.randint(1, min(room // 2, 16)), depth + 1)
            else:
                elem = Ty("scalar", self.scalar_kind(min(room, 16), floats_only))
            n = max(1, min(r.randint(1, 8), room // elem.size))
            if r.random() < 0.1 and n >= 2 and elem.kind == "scalar":
                inner = max(1, min(r.randint(1, 4), room // (elem.size * n)))
                return Ty("array", elem=Ty("array", elem=elem, count=inner), count=n)
            return Ty("array", elem=elem, count=n)
        return Ty("scalar", self.scalar_kind(min(room, 16), floats_only))

    def param_type(self):
        r = self.rng
        if r.random() < 0.35:
            return self.any_aggregate()
        return Ty("scalar", self.scalar_kind())

    def any_aggregate(self):
        r = self.rng
        x = r.random()
        target = r.randint(1, 16) if x < 0.5 else r.randint(17, 32) if x < 0.8 else r.randint(33, 64)
        return self.aggregate(target)

    def vararg_type(self):
        r = self.rng
        if r.random() < 0.15:
            return self.any_aggregate()
        kinds = [k for k in PROMOTED if k != "ldouble" or self.has_ld]
        return Ty("scalar", r.choice(kinds))

    def signature(self):
        r = self.rng
        x = r.random()
        ret = (None if x < 0.1 else self.any_aggregate() if x < 0.5
               else Ty("scalar", self.scalar_kind()))
        x = r.random()
        n = r.randint(0, 6) if x < 0.6 else r.randint(7, 12) if x < 0.9 else r.randint(13, 20)
        params = [self.param_type() for _ in range(n)]
        fixed = n
        if r.random() < 0.12:
            if not params:
                params.append(self.param_type())
            fixed = r.randint(1, min(len(params), 6))
            params = params[:fixed] + [self.vararg_type() for _ in range(r.randint(0, 8))]
            # va_start's last named parameter must not be a type the promotions change (C11
            # 7.16.1.4p4): widen it as the promotions would.
            last = params[fixed - 1]
            if last.kind == "scalar" and last.name not in PROMOTED + ["i128", "u128"]:
                params[fixed - 1] = Ty("scalar", "f64" if last.name == "f32" else "i32")
        # Share one aggregate among several parameters now and then, as real APIs do.
        if len(params) >= 2 and r.random() < 0.15:
            src = r.randrange(len(params))
            if params[src].kind != "scalar":
                for k in range(len(params)):
                    if r.random() < 0.3:
                        params[k] = params[src]
        return ret, params, fixed, fixed < len(params)

    # ---- values ------------------------------------------------------------------------------

    def literal(self, kind):
        r = self.rng
        if kind == "bool":
            return "1" if r.random() < 0.8 else "0"
        if kind in ("i8", "u8", "i16", "u16", "i32", "u32", "i64", "u64"):
            bits = SCALARS[kind][1] * 8
            return "(%s)0x%xULL" % (SCALARS[kind][0], r.getrandbits(bits))
        if kind in ("i128", "u128"):
            return "(%s)(((unsigned __int128)0x%xULL << 64) | 0x%xULL)" % (
                SCALARS[kind][0], r.getrandbits(64), r.getrandbits(64))
        if kind == "ptr":
            return "(void *)(uintptr_t)0x%xULL" % (r.getrandbits(47) | 1)
        sign = "-" if r.random() < 0.3 else ""
        # Mantissas narrower than the format: every value is exact, never 0, never NaN.
        if kind == "f32":
            return "%s0x%xp-%df" % (sign, r.getrandbits(20) | 1, r.randint(0, 12))
        if kind == "f64":
            return "%s0x%xp-%d" % (sign, r.getrandbits(50) | 1, r.randint(0, 40))
        return "%s0x%xp-%dL" % (sign, r.getrandbits(63) | 1, r.randint(0, 40))

    def initializer(self, t):
        if t.kind == "scalar":
            return self.literal(t.name)
        if t.kind == "array":
            return "{" + ", ".join(self.initializer(t.elem) for _ in range(t.count)) + "}"
        if t.kind == "union":
            return "{.m%d = %s}" % (t.active, self.initializer(t.members[t.active]))
        return "{" + ", ".join(self.initializer(m) for m in t.members) + "}"


def leaf_table(t, name):
    """A static table of t's checked leaves: offset (from the compiler), kind and path. The checks
    compare each leaf's value bytes (never padding, never a whole aggregate: not memcmp)."""
    c = t.cname()
    rows = []
    for path, kind in t.leaves():
        off = "__builtin_offsetof(%s, %s)" % (c, path[1:]) if path else "0"
        rows.append('{%s, DIFF_%s, "%s"}' % (off, kind.upper(), path))
    return "static const struct diff_leaf %s[] = {%s};" % (name, ", ".join(rows)), len(rows)


def layout_numbers(t):
    """C expressions: sizeof, _Alignof, leaf count, leaf offsets (every union member)."""
    if t is None:
        return ["0", "0", "0"]
    c = t.cname()
    leaves = list(t.leaves(checked=False))
    nums = ["sizeof(%s)" % c, "_Alignof(%s)" % c, str(len(leaves))]
    for path, _ in leaves:
        nums.append("__builtin_offsetof(%s, %s)" % (c, path[1:]) if path else "0")
    return nums


def emit_signature(abi, seed, i):
    g = Gen(abi, seed, i)
    ret, params, fixed, variadic = g.signature()
    attr = ABIS[abi][0]
    canon = "%s:%s(" % (abi, ret.canonical() if ret else "void")
    parts = [p.canonical() for p in params[:fixed]]
    if variadic:
        parts.append("...")
        parts += [p.canonical() for p in params[fixed:]]
    canon += ",".join(parts) + ")"

    o = ["", "/* signature %d: %s */" % (i, canon)]
    for t in g.types:
        kw = "struct" if t.kind == "struct" else "union"
        o.append("typedef %s %s {" % (kw, t.name))
        for k, m in enumerate(t.members):
            o.append("  %s;" % m.declarator("m%d" % k))
        o.append("} %s;" % t.name)
    rc = ret.cname() if ret else "void"
    # Known values: static const objects of the real C types.
    if ret:
        o.append("static const %s diff_r%d = %s;" % (ret.declarator(""), i, g.initializer(ret)))
    for k, p in enumerate(params):
        o.append("static const %s = %s;" % (p.declarator("diff_a%d_%d" % (i, k)), g.initializer(p)))

    # Leaf tables and expected values of every argument, checked by diff_check_values().
    for k, p in enumerate(params):
        tab, n = leaf_table(p, "diff_lv%d_%d" % (i, k))
        o.append(tab)
    if params:
        o.append("static const struct diff_value diff_av%d[] = {%s};" % (i, ", ".join(
            "{&diff_a%d_%d, diff_lv%d_%d, %d}" % (i, k, i, k, len(list(p.leaves())))
            for k, p in enumerate(params))))
    av = "diff_av%d" % i if params else "0"
    if ret:
        tab, n = leaf_table(ret, "diff_lr%d" % i)
        o.append(tab)
        o.append("static const struct diff_value diff_rv%d = {&diff_r%d, diff_lr%d, %d};" %
                 (i, i, i, n))
    decl = ", ".join(p.declarator("a%d" % k) for k, p in enumerate(params[:fixed]))
    if variadic:
        decl += ", ..."
    o.append("%s%sdiff_target_%d(%s) {" % (rc + ("" if rc.endswith("*") else " "), attr, i,
                                           decl or "void"))
    if variadic:
        if abi == "win64":
            o.append("  __builtin_ms_va_list ap;")
            o.append("  __builtin_ms_va_start(ap, a%d);" % (fixed - 1))
        else:
            o.append("  va_list ap;")
            o.append("  va_start(ap, a%d);" % (fixed - 1))
        for k in range(fixed, len(params)):
            # va_arg by type, in order: the callee's own reading of the variadic area.
            t = params[k]
            if abi == "win64" and t.size not in (1, 2, 4, 8):
                # GCC 12's va_arg on an ms_va_list reads such a value from the slot itself,
                # although GCC's own ms_abi caller passes it by reference (as the Microsoft
                # convention requires): read it the way MSVC's va_arg does, through the pointer.
                o.append("  %s = *__builtin_va_arg(ap, %s *);" % (t.declarator("a%d" % k),
                                                                  t.cname()))
            else:
                o.append("  %s = __builtin_va_arg(ap, %s);" % (t.declarator("a%d" % k),
                                                              t.cname()))
        o.append("  __builtin_ms_va_end(ap);" if abi == "win64" else "  va_end(ap);")
    if params:
        o.append("  const void *got[] = {%s};" % ", ".join("&a%d" % k for k in range(len(params))))
    o.append("  diff_check_values(%d, \"target\", %d, %s, %s);" % (
        i, len(params), "got" if params else "0", av))
    if ret:
        o.append("  return diff_r%d;" % i)
    o.append("}")

    o.append("static void diff_fill_args_%d(void **b) {" % i)
    if not params:
        o.append("  (void)b;")
    for k, p in enumerate(params):
        o.append("  *(%s *)b[%d] = diff_a%d_%d;" % (p.cname(), k, i, k))
    o.append("}")
    o.append("static int diff_check_args_%d(void **b) {" % i)
    o.append("  return diff_check_values(%d, \"closure handler\", %d, (const void *const *)b, %s);"
             % (i, len(params), av))
    o.append("}")
    o.append("static int diff_check_ret_%d(const void *r) {" % i)
    if ret:
        o.append("  return diff_check_values(%d, \"downcall\", -1, &r, &diff_rv%d);" % (i, i))
    else:
        o.append("  (void)r;")
        o.append("  return 0;")
    o.append("}")
    o.append("static void diff_fill_ret_%d(void *r) {" % i)
    o.append("  *(%s *)r = diff_r%d;" % (rc, i) if ret else "  (void)r;")
    o.append("}")
    ptypes = ", ".join(p.cname() for p in params[:fixed]) or "void"
    if variadic:
        ptypes += ", ..."
    o.append("typedef %s (%s*diff_fp%d)(%s);" % (rc, attr, i, ptypes))
    call = "((diff_fp%d)fn)(%s)" % (i, ", ".join("diff_a%d_%d" % (i, k) for k in range(len(params))))
    o.append("static int diff_call_closure_%d(void *fn) {" % i)
    if ret:
        o.append("  %s = %s;" % (ret.declarator("r"), call))
        o.append("  const void *got = &r;")
        o.append("  return diff_check_values(%d, \"closure caller\", -1, &got, &diff_rv%d);" %
                 (i, i))
    else:
        o.append("  %s;" % call)
        o.append("  return 0;")
    o.append("}")
    # The typed closure handler (Closure::typed): the signature's own parameters and convention
    # plus user_data, which must be the handler's own address; checks both, returns the known
    # result. A variadic signature has none.
    if not variadic:
        tdecl = ", ".join([p.declarator("a%d" % k) for k, p in enumerate(params)] + ["void *ud"])
        o.append("%s%sdiff_typed_%d(%s) {" % (rc + ("" if rc.endswith("*") else " "), attr, i,
                                              tdecl))
        if params:
            o.append("  const void *got[] = {%s};" % ", ".join(
                "&a%d" % k for k in range(len(params))))
        o.append("  diff_check_values(%d, \"typed handler\", %d, %s, %s);" % (
            i, len(params), "got" if params else "0", av))
        o.append("  diff_check_user_data(%d, ud, (void *)diff_typed_%d);" % (i, i))
        if ret:
            o.append("  return diff_r%d;" % i)
        o.append("}")
    typed = "(void *)diff_typed_%d" % i if not variadic else "0"
    lay = layout_numbers(ret) + [n for p in params for n in layout_numbers(p)]
    o.append("static const unsigned diff_lay%d[] = {%s};" % (i, ", ".join(lay)))
    entry = ("{%d, \"%s\", (void *)diff_target_%d, diff_fill_args_%d, diff_check_args_%d, "
             "diff_check_ret_%d, diff_fill_ret_%d, diff_call_closure_%d, diff_lay%d, %s}" %
             ((i, canon) + (i,) * 7 + (typed,)))
    return "\n".join(o) + "\n", entry, canon


HEADER = """/* Generated by tests/diff/gen.py --abi %s --seed %s: do not edit. */
#include <stdarg.h>
#include <stdint.h>

#include "diff_runtime.h"
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--abi", choices=sorted(ABIS), default="sysv")
    ap.add_argument("--seed", default="1")
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--chunks", type=int, default=1,
                    help="split the signatures over this many C files (parallel compiles)")
    ap.add_argument("--out-dir", default=".")
    ap.add_argument("--prefix", default="diff")
    ap.add_argument("--only", type=int, default=None,
                    help="print the C code of this one signature to stdout and exit")
    a = ap.parse_args()

    if a.only is not None:
        code, _, canon = emit_signature(a.abi, a.seed, a.only)
        sys.stdout.write(HEADER % (a.abi, a.seed) + code)
        return 0

    os.makedirs(a.out_dir, exist_ok=True)
    sigs = []
    for c in range(a.chunks):
        lo, hi = a.count * c // a.chunks, a.count * (c + 1) // a.chunks
        body, entries = [HEADER % (a.abi, a.seed)], []
        for i in range(lo, hi):
            code, entry, canon = emit_signature(a.abi, a.seed, i)
            body.append(code)
            entries.append(entry)
            sigs.append("%d\t%s" % (i, canon))
        body.append("const struct diff_entry diff_chunk_%d[] = {\n  %s\n};\n" %
                    (c, ",\n  ".join(entries) or "{0, 0, 0, 0, 0, 0, 0, 0, 0}"))
        write_if_changed(os.path.join(a.out_dir, "%s_%d.c" % (a.prefix, c)), "".join(body))

    table = [HEADER % (a.abi, a.seed)]
    for c in range(a.chunks):
        table.append("extern const struct diff_entry diff_chunk_%d[];\n" % c)
    table.append("const struct diff_chunk diff_chunks[] = {\n")
    for c in range(a.chunks):
        n = a.count * (c + 1) // a.chunks - a.count * c // a.chunks
        table.append("  {diff_chunk_%d, %d},\n" % (c, n))
    table.append("};\nconst unsigned diff_chunk_count = %d;\n" % a.chunks)
    table.append("const char diff_abi[] = \"%s\";\nconst char diff_seed[] = \"%s\";\n" %
                 (a.abi, a.seed))
    write_if_changed(os.path.join(a.out_dir, "%s_table.c" % a.prefix), "".join(table))
    write_if_changed(os.path.join(a.out_dir, "%s.sigs" % a.prefix), "\n".join(sigs) + "\n")
    return 0


def write_if_changed(path, text):
    """Keeps timestamps of unchanged files so that a re-run recompiles nothing."""
    try:
        with open(path) as f:
            if f.read() == text:
                return
    except OSError:
        pass
    with open(path, "w") as f:
        f.write(text)


if __name__ == "__main__":
    sys.exit(main())
