#!/usr/bin/env python3
"""Windows on ARM64 argument placement: jitffi's plans against clang's.

No machine here runs Windows code, so the compiler that knows the convention is asked where a
caller puts each argument. For a generated set of signatures this script writes C callers

    struct args_K { _Alignas(256) T0 a0; _Alignas(256) T1 a1; ... };
    void call_K(struct args_K *p, R *r) { *r = f_K(p->a0, p->a1, ...); }

compiles them with `clang -target aarch64-pc-windows-msvc -O2 -S`, and follows each caller's
instructions up to `bl f_K` with a small symbolic AArch64 interpreter: every byte loaded from
`p` is known by its offset (argument = offset / 256, byte = offset % 256), so the registers
x0-x7, v0-v7 and the outgoing stack at the call say where each argument byte went. After the
call the interpreter follows the result from x0/x1/v0-v3 into `*r`. The same signatures are
printed by `jitffi plan --downcall` and every piece of the plan must match: the bytes in its
register or stack slot, the address of a caller copy, the result registers. Conversely every
argument byte clang put in x0-x7, v0-v7 or the outgoing area must be in a piece of the plan.

Known disagreement (listed, never skipped silently): Microsoft's "Overview of ARM64 ABI
conventions" (Addendum: Variadic functions) puts a variadic call's composite that reaches
past x7 partly in x7 and partly at [sp+0] ("the first 64 bytes of the stack are loaded into
x0-x7"), as MSVC and .NET's JIT do; clang 14 leaves x7 empty and puts the composite whole on
the stack. jitffi follows the document. For such signatures the script checks that clang's
placement is exactly that other reading (x7 unused, the composite and everything after it
shifted by 8 bytes on the stack) and counts them separately.

Exit status: 0 when every signature agrees (or is a listed disagreement of that exact form),
1 on a mismatch, 77 when no clang can target aarch64-pc-windows-msvc (the test is skipped).
"""
import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

# ---- the generated signatures -------------------------------------------------------------

SCALARS = {  # compact name -> (C name, size, align, promoted, is_float)
    "i8": ("signed char", 1, 1, False, False),
    "u8": ("unsigned char", 1, 1, False, False),
    "i16": ("short", 2, 2, False, False),
    "u16": ("unsigned short", 2, 2, False, False),
    "i32": ("int", 4, 4, True, False),
    "u32": ("unsigned int", 4, 4, True, False),
    "i64": ("long long", 8, 8, True, False),
    "u64": ("unsigned long long", 8, 8, True, False),
    "i128": ("__int128", 16, 16, True, False),
    "f32": ("float", 4, 4, False, True),
    "f64": ("double", 8, 8, True, True),
    "ptr": ("void *", 8, 8, True, False),
}


class Ty:
    def __init__(self, name=None, members=None):
        self.name, self.members = name, members  # a scalar name, or a list of member types

    def compact(self):
        if self.name:
            return self.name
        return "{" + ", ".join(m.compact() for m in self.members) + "}"

    def size_align(self):
        if self.name:
            _, s, a, _, _ = SCALARS[self.name]
            return s, a
        off, al = 0, 1
        for m in self.members:
            s, a = m.size_align()
            off = (off + a - 1) // a * a + s
            al = max(al, a)
        return (off + al - 1) // al * al, al

    def promoted(self):
        return self.members is not None or SCALARS[self.name][3]


def random_struct(rng, depth=0):
    kind = rng.random()
    if kind < 0.35:  # homogeneous float aggregates, 1 to 4 members
        base = rng.choice(["f32", "f64"])
        return Ty(members=[Ty(base) for _ in range(rng.randint(1, 4))])
    n = rng.randint(1, 4)
    pool = ["i8", "i16", "i32", "i64", "f32", "f64", "ptr", "u8"]
    members = []
    for _ in range(n):
        if depth == 0 and rng.random() < 0.1:
            members.append(random_struct(rng, 1))
        else:
            members.append(Ty(rng.choice(pool)))
    t = Ty(members=members)
    if t.size_align()[0] > 48:  # keep copies small enough to stay inline in clang's caller
        return Ty(members=members[:2])
    return t


def random_type(rng, variadic_part):
    r = rng.random()
    if r < 0.35:
        return random_struct(rng)
    names = [n for n in SCALARS if not variadic_part or SCALARS[n][3]]
    if rng.random() < 0.3:
        return Ty("f64")  # the case the convention is about
    return Ty(rng.choice(names))


def generate(count, seed):
    rng = random.Random(seed)
    sigs = []
    for k in range(count):
        variadic = rng.random() < 0.7
        n = rng.randint(1, 14)
        fixed = rng.randint(1, n) if variadic else n
        lead = rng.randint(0, 8) if rng.random() < 0.4 else 0  # push later ones towards x7
        params = [Ty("i64") for _ in range(min(lead, n - 1))]
        while len(params) < n:
            params.append(random_type(rng, variadic and len(params) >= fixed))
        rr = rng.random()
        if rr < 0.15:
            ret = None
        elif rr < 0.5:
            ret = random_struct(rng)
        else:
            ret = Ty(rng.choice(list(SCALARS)))
        sigs.append((k, ret, params, fixed if variadic else None))
    return sigs


def compact_sig(ret, params, fixed):
    ps = [p.compact() for p in params]
    if fixed is not None:
        ps.insert(fixed, "...")
    return "windows_arm64:" + (ret.compact() if ret else "void") + "(" + ", ".join(ps) + ")"


def c_type(t, decls, names):
    if t.name:
        return SCALARS[t.name][0]
    key = t.compact()
    if key not in names:
        members = [c_type(m, decls, names) for m in t.members]
        name = "struct s%d" % len(names)
        names[key] = name
        decls.append(name + " { " + " ".join("%s m%d;" % (m, i) for i, m in enumerate(members)) +
                     " };")
    return names[key]


def c_source(sigs):
    decls, names, body = [], {}, []
    for k, ret, params, fixed in sigs:
        cps = [c_type(p, decls, names) for p in params]
        cr = c_type(ret, decls, names) if ret else "void"
        proto = list(cps[:fixed] if fixed is not None else cps)
        if fixed is not None:
            proto.append("...")
        body.append("struct args_%d { %s };" % (k, " ".join(
            "_Alignas(256) %s a%d;" % (c, i) for i, c in enumerate(cps))))
        body.append("extern %s f_%d(%s);" % (cr, k, ", ".join(proto)))
        call = "f_%d(%s)" % (k, ", ".join("p->a%d" % i for i in range(len(params))))
        body.append("void call_%d(struct args_%d *p, %s *r) { %s; }" %
                    (k, k, "void" if cr == "void" else cr, call if cr == "void" else "*r = " +
                     call))
    return "\n".join(decls + body) + "\n"


# ---- a symbolic AArch64 interpreter over clang's listing ----------------------------------

GPR = re.compile(r"^([xw])(\d+)$")
VEC = re.compile(r"^([qdshb])(\d+)$")
VSIZE = {"q": 16, "d": 8, "s": 4, "h": 2, "b": 1}


class Ptr:
    def __init__(self, base, off):
        self.base, self.off = base, off  # base: "P" (args), "R" (result), "S" (stack)

    def plus(self, n):
        return Ptr(self.base, self.off + n)

    def __eq__(self, o):
        return isinstance(o, Ptr) and (self.base, self.off) == (o.base, o.off)

    def __repr__(self):
        return "&%s%+d" % (self.base, self.off)


class Machine:
    def __init__(self):
        self.x = {n: [None] * 8 for n in range(31)}  # bytes, or a Ptr / ("const", v)
        self.v = {n: [None] * 16 for n in range(32)}
        self.sp = 0
        self.mem = {}  # (base, off) -> byte source
        self.x[0], self.x[1] = Ptr("P", 0), Ptr("R", 0)

    # registers
    def reg(self, name):
        if name in ("sp", "wsp"):
            return ("sp", 8)
        if name in ("xzr", "wzr"):
            return ("zr", 8 if name == "xzr" else 4)
        m = GPR.match(name)
        if m:
            return ("x%s" % m.group(2), 8 if m.group(1) == "x" else 4)
        m = VEC.match(name)
        if m:
            return ("v%s" % m.group(2), VSIZE[m.group(1)])
        return None

    def get(self, name):
        r = self.reg(name)
        if r is None:
            return None
        kind, size = r
        if kind == "sp":
            return Ptr("S", self.sp)
        if kind == "zr":
            return [None] * size
        val = self.x[int(kind[1:])] if kind[0] == "x" else self.v[int(kind[1:])]
        if isinstance(val, list):
            return val[:size]
        return val if size == 8 else [None] * size

    def set(self, name, val):
        r = self.reg(name)
        if r is None or r[0] == "zr":
            return
        kind, size = r
        if kind == "sp":
            self.sp = val.off if isinstance(val, Ptr) else self.sp
            return
        if isinstance(val, list):
            val = (val + [None] * 16)[:size] + [None] * ((8 if kind[0] == "x" else 16) - size)
        if kind[0] == "x":
            self.x[int(kind[1:])] = val if not isinstance(val, list) else val[:8]
        else:
            self.v[int(kind[1:])] = val if isinstance(val, list) else [None] * 16

    # memory
    def address(self, operand):
        """'[x8, #16]', '[sp, #-16]!', '[x8]' -> (Ptr, writeback) ; post-index handled apart."""
        m = re.match(r"^\[(\w+)(?:, #(-?\w+))?\](!?)$", operand)
        if not m:
            return None, None
        base = self.get(m.group(1))
        if not isinstance(base, Ptr):
            return None, None
        imm = int(m.group(2), 0) if m.group(2) else 0
        return base.plus(imm), (m.group(1), base.plus(imm)) if m.group(3) else None

    def load(self, addr, size):
        out = []
        for j in range(size):
            off = addr.off + j
            if addr.base == "P":
                out.append(("A", off // 256, off % 256))
            else:
                out.append(self.mem.get((addr.base, off)))
        return out

    def store(self, addr, val, size):
        if isinstance(val, Ptr):
            val = [("PTR", val.base, val.off, j) for j in range(8)]
        elif not isinstance(val, list):
            val = [None] * size
        for j in range(size):
            self.mem[(addr.base, addr.off + j)] = val[j] if j < len(val) else None


def split_operands(text):
    ops, depth, cur = [], 0, ""
    for ch in text:
        if ch == "[":
            depth += 1
        if ch == "]":
            depth -= 1
        if ch == "," and depth == 0:
            ops.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        ops.append(cur.strip())
    return ops


def mem_size(mn, reg_size):
    if mn in ("ldrb", "strb", "ldrsb", "ldurb", "sturb", "ldursb"):
        return 1
    if mn in ("ldrh", "strh", "ldrsh", "ldurh", "sturh", "ldursh"):
        return 2
    if mn in ("ldrsw", "ldursw"):
        return 4
    return reg_size


def run(lines, target):
    """Interprets one function's instructions; returns (state at the call, result bytes)."""
    m = Machine()
    at_call = None
    for line in lines:
        line = line.split("//")[0].strip()
        if not line or line.startswith(".") or line.endswith(":"):
            continue
        parts = line.split(None, 1)
        mn, ops = parts[0], split_operands(parts[1]) if len(parts) > 1 else []
        if mn in ("bl", "b") and ops and ops[0] == target:
            at_call = snapshot(m)
            for n in range(18):
                m.x[n] = [("RX", n, j) for j in range(8)] if n < 2 else [None] * 8
            for n in range(32):
                if n < 8:
                    m.v[n] = [("RV", n, j) for j in range(16)] if n < 4 else [None] * 16
            if mn == "b":
                break
            continue
        if mn == "ret":
            break
        if mn.startswith("ld") or mn.startswith("st"):
            pair = mn in ("ldp", "stp", "ldpsw")
            regs = ops[:2] if pair else ops[:1]
            rest = ops[2:] if pair else ops[1:]
            post = None
            if len(rest) == 2 and rest[1].startswith("#"):  # post-index [xN], #imm
                base_name = rest[0].strip("[]")
                addr = m.get(base_name)
                post = (base_name, int(rest[1][1:], 0))
            else:
                addr, wb = m.address(rest[0]) if rest else (None, None)
            rsize = m.reg(regs[0])[1] if m.reg(regs[0]) else 8
            size = mem_size(mn, rsize)
            for i, rn in enumerate(regs):
                a = addr.plus(i * size) if isinstance(addr, Ptr) else None
                if mn.startswith("ld"):
                    if a is None:
                        m.set(rn, [None] * 16)
                    elif size == 8 and a.base != "P" and \
                            isinstance(m.mem.get((a.base, a.off)), tuple) and \
                            m.mem[(a.base, a.off)][0] == "PTR":
                        b = m.mem[(a.base, a.off)]
                        m.set(rn, Ptr(b[1], b[2]))
                    else:
                        vals = m.load(a, size)
                        m.set(rn, vals + [None] * (16 - size))
                elif a is not None:
                    m.store(a, m.get(rn), size)
            if post:
                m.set(post[0], addr.plus(post[1]) if isinstance(addr, Ptr) else None)
            elif not pair or True:
                if rest and "!" in rest[0] and isinstance(addr, Ptr):
                    m.set(rest[0].strip("[]!").split(",")[0], addr)
            continue
        if mn in ("mov", "fmov", "orr") and len(ops) == 2 or (mn == "mov" and len(ops) == 2):
            src = ops[1]
            if src.startswith("#"):
                m.set(ops[0], [None] * 16)
            else:
                val = m.get(src.split(".")[0])
                m.set(ops[0].split(".")[0], val if val is not None else [None] * 16)
            continue
        if mn in ("add", "sub") and len(ops) >= 3 and ops[2].startswith("#"):
            imm = int(ops[2][1:], 0)
            if len(ops) == 4 and ops[3] == "lsl #12":
                imm <<= 12
            src = m.get(ops[1])
            if isinstance(src, Ptr):
                m.set(ops[0], src.plus(imm if mn == "add" else -imm))
            else:
                m.set(ops[0], [None] * 16)
            continue
        if mn == "bfi" and len(ops) == 4:  # bfi xd, xn, #lsb, #width (whole bytes here)
            lsb, width = int(ops[2][1:], 0), int(ops[3][1:], 0)
            dst, src = m.get(ops[0]), m.get(ops[1])
            if isinstance(dst, list) and isinstance(src, list) and lsb % 8 == 0 and \
                    width % 8 == 0:
                dst = list(dst)
                dst[lsb // 8:(lsb + width) // 8] = src[:width // 8]
                m.set(ops[0], dst)
            else:
                m.set(ops[0], [None] * 16)
            continue
        if mn == "lsr" and len(ops) == 3 and ops[2].startswith("#"):
            sh, src = int(ops[2][1:], 0), m.get(ops[1])
            if isinstance(src, list) and sh % 8 == 0:
                m.set(ops[0], src[sh // 8:] + [None] * (sh // 8))
            else:
                m.set(ops[0], [None] * 16)
            continue
        if ops and m.reg(ops[0]) is not None and not mn.startswith("b") and mn not in ("cmp",
                                                                                       "tst"):
            m.set(ops[0], [None] * 16)  # anything else: the destination becomes unknown
    return at_call, m


def snapshot(m):
    return {"x": {n: m.x[n] for n in range(9)}, "v": {n: m.v[n] for n in range(8)},
            "sp": m.sp, "mem": dict(m.mem)}


def functions(asm):
    out, cur, name = {}, None, None
    for line in asm.splitlines():
        mm = re.match(r"^(call_\d+):", line)
        if mm:
            name, cur = mm.group(1), []
            out[name] = cur
            continue
        if cur is not None:
            if "-- End function" in line:
                cur = None
                continue
            cur.append(line)
    return out


# ---- jitffi's plans -----------------------------------------------------------------------

PIECE = re.compile(r"^  arg(\d+)\s+\+(\d+)\s+(\d+) bytes(?: [sz]ext)? -> (\S+)$")
COPY = re.compile(r"^  arg(\d+)\s+copy at \+\d+, address -> (\S+)$")
RETP = re.compile(r"^  ret \+(\d+)\s+(\d+) bytes(?: [sz]ext)? <- (\S+)$")
STACK = re.compile(r"^abi \S+, \d+ args.*, stack (\d+) bytes")


def plan_of(jitffi, sig):
    p = subprocess.run(jitffi + ["plan", "--downcall", sig], capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit("jitffi plan failed for %s:\n%s%s" % (sig, p.stdout, p.stderr))
    plan = {"pieces": [], "copies": [], "ret": [], "sret": False, "stack": 0}
    for line in p.stdout.splitlines():
        if line.startswith("downcall stub"):
            break
        if STACK.match(line):
            plan["stack"] = int(STACK.match(line).group(1))
        elif PIECE.match(line):
            a, off, size, to = PIECE.match(line).groups()
            plan["pieces"].append((int(a), int(off), int(size), to))
        elif COPY.match(line):
            a, to = COPY.match(line).groups()
            plan["copies"].append((int(a), to))
        elif RETP.match(line):
            off, size, frm = RETP.match(line).groups()
            plan["ret"].append((int(off), int(size), frm))
        elif line.strip() == "ret pointer -> x8":
            plan["sret"] = True
    return plan


# ---- comparison ---------------------------------------------------------------------------

def location_bytes(state, to, size):
    if to.startswith("x"):
        val = state["x"][int(to[1:])]
        return val if isinstance(val, Ptr) else val[:size]
    if to.startswith("v"):
        return state["v"][int(to[1:])][:size]
    off = int(re.match(r"\[sp\+(\d+)\]", to).group(1))
    return [state["mem"].get(("S", state["sp"] + off + j)) for j in range(size)]


def pointer_at(state, to):
    if to.startswith("x"):
        v = state["x"][int(to[1:])]
        return v if isinstance(v, Ptr) else None
    b = location_bytes(state, to, 8)
    if b and isinstance(b[0], tuple) and b[0][0] == "PTR":
        return Ptr(b[0][1], b[0][2])
    return None


def compare(plan, state, after, sizes, ret_size):
    """Returns a list of disagreements (empty when the plan and clang agree)."""
    bad = []
    covered = set()
    for a, off, size, to in plan["pieces"]:
        want = [("A", a, off + j) for j in range(size)]
        got = location_bytes(state, to, size)
        if got != want:
            bad.append("arg%d +%d (%d bytes) -> %s: clang has %s" % (a, off, size, to, got))
        for j in range(size):
            covered.add((to, j))
    for a, to in plan["copies"]:
        ptr = pointer_at(state, to)
        n = min(sizes[a], 16)
        if ptr is None or [state["mem"].get((ptr.base, ptr.off + j)) for j in range(n)] != \
                [("A", a, j) for j in range(n)]:
            bad.append("arg%d by reference -> %s: clang has %s" % (a, to, ptr))
        for j in range(8):
            covered.add((to, j))
    # Conversely: no argument byte in an argument register or the outgoing area outside the plan.
    # clang copies composites through q registers, so a v register may hold a stale copy of
    # bytes that are in their place: there only bytes the plan places nowhere count.
    placed = {(a, off + j) for a, off, size, _ in plan["pieces"] for j in range(size)}
    placed |= {(a, j) for a, _ in plan["copies"] for j in range(sizes[a])}
    for n in range(8):
        for kind in ("x", "v"):
            val = state[kind][n]
            if isinstance(val, list):
                for j, b in enumerate(val):
                    if kind == "v" and isinstance(b, tuple) and (b[1], b[2]) in placed:
                        continue
                    if isinstance(b, tuple) and b[0] == "A" and (kind + str(n), j) not in covered:
                        bad.append("clang puts arg%d byte %d in %s%d, the plan does not" %
                                   (b[1], b[2], kind, n))
                        break
    for off in range(plan["stack"]):
        b = state["mem"].get(("S", state["sp"] + off))
        if isinstance(b, tuple) and b[0] == "A":
            slot = off // 8 * 8
            if not any(("[sp+%d]" % o, off - o) in covered for o in range(slot - 8, off + 1)):
                bad.append("clang puts arg%d byte %d at [sp+%d], the plan does not" %
                           (b[1], b[2], off))
    if plan["sret"] and not isinstance(state["x"][8], Ptr):
        bad.append("the plan passes a result pointer in x8, clang has %s" % state["x"][8])
    for off, size, frm in plan["ret"]:
        kind, n = ("RX" if frm.startswith("x") else "RV"), int(frm[1:])
        got = [after.mem.get(("R", off + j)) for j in range(size)]
        if got != [(kind, n, j) for j in range(size)]:
            bad.append("result +%d (%d bytes) <- %s: clang stores %s" % (off, size, frm, got))
    return bad


def straddles(plan):
    """The argument the plan splits between x7 and [sp+0], if any."""
    regs = {a for a, _, _, to in plan["pieces"] if to == "x7"}
    stack = {a for a, _, _, to in plan["pieces"] if to.startswith("[sp")}
    both = regs & stack
    return min(both) if both else None


def clang_reading(plan, split, params):
    """The plan as clang 14 reads the addendum: x7 left empty, the composite that would be split
    and every later argument on the stack, each at the next multiple of max(8, alignment)."""
    byref = {a for a, _ in plan["copies"]}
    where, nsaa = {}, 0
    for a in range(split, len(params)):
        size, align = (8, 8) if a in byref else params[a].size_align()
        nsaa = (nsaa + max(8, align) - 1) // max(8, align) * max(8, align)
        where[a] = nsaa
        nsaa += (size + 7) // 8 * 8
    pieces = [(a, off, size, "[sp+%d]" % (where[a] + off) if a in where else to)
              for a, off, size, to in plan["pieces"]]
    copies = [(a, "[sp+%d]" % where[a] if a in where else to) for a, to in plan["copies"]]
    return dict(plan, pieces=pieces, copies=copies, stack=(nsaa + 15) // 16 * 16)


def find_clang(explicit):
    for c in ([explicit] if explicit else []) + ["clang-14", "clang"]:
        path = shutil.which(c) if c else None
        if not path:
            continue
        probe = subprocess.run([path, "-target", "aarch64-pc-windows-msvc", "-x", "c", "-S",
                                "-o", "-", "-"], input="int f(void){return 0;}",
                               capture_output=True, text=True)
        if probe.returncode == 0:
            return path
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jitffi", required=True, help="the jitffi program (with an emulator before)")
    ap.add_argument("--clang", help="the clang to use (default: clang-14, then clang)")
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", help="directory for the generated C and assembly")
    args = ap.parse_args()

    clang = find_clang(args.clang)
    if not clang:
        print("SKIP: no clang that targets aarch64-pc-windows-msvc (scripts/deps.sh installs "
              "clang-14)")
        return 77
    version = subprocess.run([clang, "--version"], capture_output=True, text=True).stdout
    print("oracle: %s" % version.splitlines()[0])

    sigs = generate(args.count, args.seed)
    work = args.keep or tempfile.mkdtemp(prefix="jitffi_oracle_")
    os.makedirs(work, exist_ok=True)
    src = os.path.join(work, "callers.c")
    with open(src, "w") as f:
        f.write(c_source(sigs))
    asm_path = os.path.join(work, "callers.s")
    subprocess.run([clang, "-target", "aarch64-pc-windows-msvc", "-O2", "-S", "-w", "-o",
                    asm_path, src], check=True)
    with open(asm_path) as f:
        funcs = functions(f.read())

    jitffi = args.jitffi.split()
    agreed = pieces = 0
    known, failures = [], []
    for k, ret, params, fixed in sigs:
        sig = compact_sig(ret, params, fixed)
        plan = plan_of(jitffi, sig)
        state, after = run(funcs["call_%d" % k], "f_%d" % k)
        if state is None:
            failures.append((sig, ["no call to f_%d found in clang's caller" % k]))
            continue
        sizes = [p.size_align()[0] for p in params]
        bad = compare(plan, state, after, sizes, ret)
        split = straddles(plan)
        if split is not None:
            alt = compare(clang_reading(plan, split, params), state, after, sizes, ret)
            if bad and not alt:
                known.append((sig, split))
                continue
            if not bad:
                failures.append((sig, ["clang 14 split arg%d between x7 and the stack like the "
                                       "document: update the known disagreement" % split]))
                continue
        if bad:
            failures.append((sig, bad))
        else:
            agreed += 1
            pieces += len(plan["pieces"]) + len(plan["copies"]) + len(plan["ret"])

    variadic = sum(1 for s in sigs if s[3] is not None)
    print("oracle: %d signatures (%d variadic): %d agree with clang (%d pieces), %d are the "
          "listed x7/stack disagreement, %d differ" % (len(sigs), variadic, agreed, pieces,
                                                       len(known), len(failures)))
    for sig, split in known:
        print("  known: %s  (arg%d: [MS] splits it between x7 and [sp+0]; clang 14 puts it "
              "whole on the stack)" % (sig, split))
    for sig, bad in failures:
        print("MISMATCH %s" % sig)
        for b in bad[:6]:
            print("    " + b)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
