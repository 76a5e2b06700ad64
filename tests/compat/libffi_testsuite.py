#!/usr/bin/env python3
"""libffi's own test suite (3.4.4) against the system libffi and against jitffi's libffi.so.8.

Compiles every run test of testsuite/libffi.{call,closures,complex,go,bhaible} the way libffi's
DejaGnu files do for x86_64-pc-linux-gnu (lib/libffi.exp's run-many-tests, the directories' .exp
files), against the SYSTEM ffi.h and -lffi like any libffi client, and runs each executable twice:
on the system libffi, and with LD_LIBRARY_PATH at the directory of ours. A run passes when it
exits with 0 and its output matches the test's dg-output patterns (one Tcl regexp, as dg.exp
builds it); dg-do xfail selectors, dg-skip-if, dg-options and dg-output target selectors are
evaluated for the target. Every process of our run must write its JITFFI_STATS line (proof that
ours was loaded), and no process of the system run may.

Exit status: 0 when every test that passes on the system libffi passes on ours; 1 otherwise (the
differing tests are listed); 77, after a "SKIP: why" line, when the source cannot be fetched.
"""

import argparse
import concurrent.futures
import fnmatch
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

DIRS = ["libffi.call", "libffi.closures", "libffi.complex", "libffi.go", "libffi.bhaible"]
# config.guess's name for this machine, what DejaGnu's target selectors are matched against.
TARGET_TRIPLET = "x86_64-pc-linux-gnu"
RUN_TIMEOUT = 60

# ffitest.h (and ffi_common.h, which bpo-38748.c includes) read the build's fficonfig.h. It is
# made from the source's fficonfig.h.in as config.status would for Debian 12's x86-64 build, the
# libffi the results are compared with (debian/rules: --enable-pax_emutramp
# --disable-exec-static-tramp). Without FFI_EXEC_STATIC_TRAMP, closure_loc_fn0.c checks that a
# closure's writable and executable addresses show the same bytes.
FFICONFIG = {
    "EH_FRAME_FLAGS": '"a"', "FFI_MMAP_EXEC_EMUTRAMP_PAX": "1", "HAVE_ALLOCA": "1",
    "HAVE_ALLOCA_H": "1", "HAVE_AS_CFI_PSEUDO_OP": "1", "HAVE_AS_X86_64_UNWIND_SECTION_TYPE": "1",
    "HAVE_AS_X86_PCREL": "1", "HAVE_DLFCN_H": "1", "HAVE_HIDDEN_VISIBILITY_ATTRIBUTE": "1",
    "HAVE_INTTYPES_H": "1", "HAVE_LONG_DOUBLE": "1", "HAVE_MEMCPY": "1", "HAVE_MEMFD_CREATE": "1",
    "HAVE_MKOSTEMP": "1", "HAVE_MKSTEMP": "1", "HAVE_MMAP": "1", "HAVE_MMAP_ANON": "1",
    "HAVE_MMAP_DEV_ZERO": "1", "HAVE_MMAP_FILE": "1", "HAVE_RO_EH_FRAME": "1",
    "HAVE_STDINT_H": "1", "HAVE_STDIO_H": "1", "HAVE_STDLIB_H": "1", "HAVE_STRINGS_H": "1",
    "HAVE_STRING_H": "1", "HAVE_SYS_MMAN_H": "1", "HAVE_SYS_STAT_H": "1", "HAVE_SYS_TYPES_H": "1",
    "HAVE_UNISTD_H": "1", "LIBFFI_GNU_SYMBOL_VERSIONING": "1", "LT_OBJDIR": '".libs/"',
    "PACKAGE": '"libffi"', "PACKAGE_BUGREPORT": '"http://github.com/libffi/libffi/issues"',
    "PACKAGE_NAME": '"libffi"', "PACKAGE_STRING": '"libffi 3.4.4"', "PACKAGE_TARNAME": '"libffi"',
    "PACKAGE_URL": '""', "PACKAGE_VERSION": '"3.4.4"', "SIZEOF_DOUBLE": "8",
    "SIZEOF_LONG_DOUBLE": "16", "SIZEOF_SIZE_T": "8", "STDC_HEADERS": "1", "VERSION": '"3.4.4"',
}


def write_fficonfig(template, out):
    """config.status's work on fficonfig.h.in: '#undef NAME' becomes '#define NAME value'."""
    with open(template) as f:
        text = f.read()
    seen = set()

    def subst(m):
        name = m.group(1)
        if name in FFICONFIG:
            seen.add(name)
            return f"#define {name} {FFICONFIG[name]}"
        return f"/* #undef {name} */"
    text = re.sub(r"^#undef ([A-Za-z_0-9]+)$", subst, text, flags=re.M)
    if seen != set(FFICONFIG):
        raise ValueError(f"{template}: no #undef for {sorted(set(FFICONFIG) - seen)}")
    with open(out, "w") as f:
        f.write("/* Written by tests/compat/libffi_testsuite.py from fficonfig.h.in, with the "
                "values of Debian 12's x86-64 build. */\n" + text)


STATS_RE = re.compile(
    r"^jitffi stats \[pid \d+ .*\]: stubs compiled (\d+); calls: jit (\d+), libffi (\d+); "
    r"closures: jit (\d+), libffi (\d+); closure calls: jit (\d+), libffi (\d+)$")
STATS_FIELDS = ["stubs", "calls_jit", "calls_libffi", "closures_jit", "closures_libffi",
                "closure_calls_jit", "closure_calls_libffi"]


class Skip(Exception):
    pass


# --- Tcl, as far as dg directives need it -----------------------------------------------------

def tcl_unescape(s, where):
    """Backslash substitution of a Tcl word in double quotes (no $ or [ ] substitution)."""
    out = []
    i = 0
    simple = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
    while i < len(s):
        c = s[i]
        if c in "$[":
            raise ValueError(f"{where}: Tcl substitution '{c}' in a quoted word is not supported")
        if c != "\\":
            out.append(c)
            i += 1
            continue
        i += 1
        if i == len(s):
            out.append("\\")
            break
        c = s[i]
        if c in simple:
            out.append(simple[c])
            i += 1
        elif c == "x":
            m = re.match(r"[0-9a-fA-F]{1,2}", s[i + 1:])
            if m:
                out.append(chr(int(m.group(0), 16)))
                i += 1 + len(m.group(0))
            else:
                out.append("x")
                i += 1
        elif c in "01234567":
            m = re.match(r"[0-7]{1,3}", s[i:])
            out.append(chr(int(m.group(0), 8)))
            i += len(m.group(0))
        else:
            out.append(c)  # \\ \" \[ \- ...: the character itself
            i += 1
    return "".join(out)


def tcl_words(s, where):
    """Splits a Tcl command into words: "quoted" (substituted), {braced} (verbatim), bare."""
    words = []
    i = 0
    while True:
        while i < len(s) and s[i].isspace():
            i += 1
        if i == len(s):
            return words
        if s[i] == "{":
            depth, j = 1, i + 1
            while j < len(s) and depth:
                if s[j] == "\\":
                    j += 2
                    continue
                depth += {"{": 1, "}": -1}.get(s[j], 0)
                j += 1
            if depth:
                raise ValueError(f"{where}: unbalanced braces in '{s}'")
            words.append(("brace", s[i + 1:j - 1]))
            i = j
        elif s[i] == '"':
            j = i + 1
            while j < len(s) and s[j] != '"':
                j += 2 if s[j] == "\\" else 1
            if j >= len(s):
                raise ValueError(f"{where}: unterminated string in '{s}'")
            words.append(("quote", tcl_unescape(s[i + 1:j], where)))
            i = j + 1
        else:
            j = i
            while j < len(s) and not s[j].isspace():
                j += 1
            words.append(("bare", tcl_unescape(s[i:j], where)))
            i = j


def tcl_list(s, where):
    return [w for _, w in tcl_words(s, where)]


# --- DejaGnu target selectors (lib/libffi.exp's dg-process-target) ------------------------------

class Target:
    """dg-process-target for one target: "target sel" gives S or N, "xfail sel" F or P, and
    "target sel1 xfail sel2" N or what "xfail sel2" gives. A selector is an effective-target
    keyword, a { ! a }, { a && b } or { a || b } expression, or a list of triplet globs."""

    def __init__(self, triplet, effective):
        self.triplet = triplet
        self.effective = effective  # keyword -> bool

    def process(self, selector, where):
        words = tcl_list(selector, where)
        if not words or words[0] not in ("target", "xfail"):
            raise ValueError(f"{where}: syntax error in target selector '{selector}'")
        if words[0] == "target" and "xfail" in words[1:]:
            k = words.index("xfail", 1)
            if not self.matches(words[1:k], where):
                return "N"
            return "F" if self.matches(words[k + 1:], where) else "P"
        hit = self.matches(words[1:], where)
        if words[0] == "xfail":
            return "F" if hit else "P"
        return "S" if hit else "N"

    def matches(self, words, where):
        if len(words) == 1 and words[0] in self.effective:
            return self.effective[words[0]]
        if len(words) == 1 and " " in words[0].strip():  # a braced expression or list
            return self._expression(words[0], where)
        return self._triplets(words, where)

    def _expression(self, exp, where):
        ws = tcl_list(exp, where)
        if len(ws) == 2 and ws[0] == "!":
            return not self.matches([ws[1]], where)
        if len(ws) == 3 and ws[1] in ("&&", "||"):
            a, b = self.matches([ws[0]], where), self.matches([ws[2]], where)
            return (a and b) if ws[1] == "&&" else (a or b)
        return self._triplets(ws, where)

    def _triplets(self, patterns, where):
        # DejaGnu's istarget: a glob on the canonical triplet. A bare word that no triplet can
        # match is an effective-target keyword this runner does not know: an error, not a miss.
        for p in patterns:
            if re.fullmatch(r"[A-Za-z_0-9]+", p):
                raise ValueError(f"{where}: unknown effective target keyword '{p}'")
        return any(fnmatch.fnmatchcase(self.triplet, p) for p in patterns)


# --- One test file's directives ---------------------------------------------------------------

# dg.exp's dg-get-options: "{ dg-name args }" anywhere on a line.
DIRECTIVE_RE = re.compile(r"\{[ \t]+(dg-[-a-z]+)[ \t]+(.*)[ \t]+\}")


class Directives:
    """What dg.exp's dg-test makes of a file's { dg-... } lines, for one target and flag set."""

    def __init__(self, path, target, flags):
        self.do = "run"
        self.do_xfail = False
        self.skip = False
        self.options = []
        self.output_xfail = False
        self.output = None  # the concatenated dg-output text (a Tcl regexp), or None
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            lines = f.read().split("\n")
        for n, line in enumerate(lines, 1):
            m = DIRECTIVE_RE.search(line)
            if not m:
                continue
            where = f"{path}:{n}"
            name, vals = m.group(1), tcl_list(m.group(2), where)
            if not vals:
                raise ValueError(f"{where}: {name} without arguments")
            sel = target.process(vals[1], where) if len(vals) > 1 and \
                name in ("dg-do", "dg-options", "dg-output") else None
            if name == "dg-do":
                if vals[0] not in ("run", "link", "compile", "assemble", "preprocess"):
                    raise ValueError(f"{where}: dg-do {vals[0]}")
                self.do = vals[0]
                self.skip = sel == "N"
                self.do_xfail = sel == "F"
            elif name == "dg-options":
                if sel in ("F", "P"):
                    raise ValueError(f"{where}: dg-options: xfail not allowed here")
                if sel in (None, "S"):
                    self.options = vals[0].split()
            elif name == "dg-output":
                if sel == "N":
                    continue
                if sel in ("F", "P"):
                    self.output_xfail = sel == "F"
                self.output = (self.output or "") + vals[0]
            elif name == "dg-skip-if":
                # dg-skip-if comment { selector } [ { include-opts } [ { exclude-opts } ] ]
                if len(vals) < 2 or len(vals) > 4:
                    raise ValueError(f"{where}: dg-skip-if needs 2 to 4 arguments")
                if target.matches([vals[1]], where) and check_flags(vals[2:], flags):
                    self.skip = True
            elif name == "dg-xfail-if":
                if len(vals) < 2:
                    raise ValueError(f"{where}: dg-xfail-if needs 2 to 4 arguments")
                if target.matches([vals[1]], where) and check_flags(vals[2:], flags):
                    self.do_xfail = True
            elif name == "dg-require-effective-target":
                if vals[0] not in target.effective:
                    raise ValueError(f"{where}: unknown effective target keyword '{vals[0]}'")
                if not target.effective[vals[0]]:
                    self.skip = True
            else:
                raise ValueError(f"{where}: directive {name} is not supported by this runner")


def check_flags(args, flags):
    """DejaGnu's check_conditional_xfail on include/exclude option globs."""
    include = tcl_list(args[0], "flags") if args else ["*"]
    exclude = tcl_list(args[1], "flags") if len(args) > 1 else []
    if include == ["*"] and exclude in ([], [""]):
        return True
    joined = " ".join(flags)
    inc = any(fnmatch.fnmatchcase(joined, f"*{p}*") for p in include if p) or include == ["*"]
    exc = any(fnmatch.fnmatchcase(joined, f"*{p}*") for p in exclude if p)
    return inc and not exc


def tcl_regexp_to_python(pattern):
    # libffi-dg-test-1: every newline of the expected text becomes \r?\n. Tcl's ARE: `.` matches
    # a newline, ^ and $ anchor at the ends of the text only.
    return re.compile(pattern.replace("\n", "\r?\n"), re.S)


# --- The suite --------------------------------------------------------------------------------

class Variant:
    def __init__(self, dirname, path, flags, name):
        self.dir = dirname
        self.path = path
        self.flags = flags
        self.name = name
        self.directives = None
        self.exe = None
        self.compile_log = ""
        self.compile_ok = False
        self.unsupported = None  # why, when the variant is not run
        self.target = None  # Target, with this flag set's effective targets
        self.compiler = None
        self.incflags = []
        self.command = ""
        self.results = {}  # "system"/"jitffi" -> (status, why, output)
        self.loads = None  # where libffi.so.8 is found in our run (None: not needed)


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          errors="replace", **kw)


def feature_test(cc, incflags, test, workdir):
    # libffi_feature_test: "#include <ffi.h>\n<test>\n/* OK */\n#else\n# error ...\n#endif"
    src = os.path.join(workdir, "feature_test.c")
    with open(src, "w") as f:
        f.write(f"#include <ffi.h>\n{test}\n/* OK */\n#else\n# error Failed {test}\n#endif\n")
    r = run([cc, "-E", *incflags, src, "-o", os.devnull])
    os.unlink(src)
    return r.returncode == 0 and r.stdout.strip() == ""


def gcc_version(cc):
    r = run([cc, "-dM", "-E", "-x", "c", os.devnull])
    macros = dict(re.findall(r"#define (\S+) (.*)", r.stdout))
    if "__clang__" in macros:
        return "clang", None
    if "__GNUC__" in macros:
        return "gnu", (int(macros["__GNUC__"]), int(macros["__GNUC_MINOR__"]))
    return "other", None


def enumerate_variants(src_root, cc, cxx, workdir, machine):
    ts = os.path.join(src_root, "testsuite")
    cfgdir = os.path.join(workdir, "include")
    os.makedirs(cfgdir, exist_ok=True)
    write_fficonfig(os.path.join(src_root, "fficonfig.h.in"), os.path.join(cfgdir, "fficonfig.h"))
    # libffi_target_compile: -I<build>/include -I<srcdir>/../include -I<build>; here the system's
    # ffi.h comes from the compiler's own search path (libffi-dev), fficonfig.h from cfgdir.
    incflags = ["-I" + cfgdir, "-I" + os.path.join(src_root, "include")]
    vendor, version = gcc_version(cc)
    if vendor == "gnu":
        common = ["-W", "-Wall", "-Wno-psabi"]
    elif vendor == "clang":
        common = ["-W", "-Wall"]
    else:
        common = []
    # As in run-many-tests, LIBFFI_TEST_OPTIMIZATION replaces the two optimisation levels.
    optimizations = [["-O0"], ["-O2"]]
    if os.environ.get("LIBFFI_TEST_OPTIMIZATION", "").strip():
        optimizations = [os.environ["LIBFFI_TEST_OPTIMIZATION"].split()]
    targetabis = [[]]
    if vendor == "gnu" and machine == "x86_64" and \
            feature_test(cc, incflags, "#if !defined __ILP32__  && !defined __i386__", workdir):
        targetabis = [[], ["-DABI_NUM=FFI_GNUW64", "-DABI_ATTR=__MSABI__"]]
    features = {t: feature_test(cc, incflags, t, workdir) for t in
                ["#if FFI_CLOSURES", "#ifdef FFI_TARGET_HAS_COMPLEX_TYPE", "#ifdef FFI_GO_CLOSURES"]}
    triplet = TARGET_TRIPLET

    variants = []

    def many(dirname, files, extra, unsupported=None):
        # run-many-tests: every optimisation, and both ABIs for a file that mentions ABI_NUM.
        for path in files:
            with open(path, encoding="utf-8", errors="surrogateescape") as f:
                has_abi = "ABI_NUM" in f.read()
            abis = targetabis if has_abi else [[]]
            for opt in optimizations:
                for abi in abis:
                    flags = common + extra + opt + abi
                    name = f"{dirname}/{os.path.basename(path)} " + " ".join(
                        [x for x in extra if x.startswith("-D")] + opt + abi)
                    v = Variant(dirname, path, flags, name)
                    has_gccbug = False
                    if vendor == "gnu" and "-DABI_ATTR=__MSABI__" in abi:
                        c = " ".join(common + extra) + " "
                        base = os.path.basename(path)
                        if ("DGTEST=57 " in c and "call.c" in base) or \
                                ("DGTEST=54 " in c and "callback" in base) or \
                                "DGTEST=55 " in c or "DGTEST=56 " in c:
                            has_gccbug = version < (9, 3)
                    v.target = Target(triplet, {"gccbug": has_gccbug})
                    v.unsupported = unsupported
                    v.incflags = incflags
                    v.compiler = cxx if path.endswith(".cc") else cc
                    variants.append(v)

    def glob(dirname, *exts):
        d = os.path.join(ts, dirname)
        return sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(exts))

    # call.exp: *.c then *.cc, always.
    many("libffi.call", glob("libffi.call", ".c"), [])
    many("libffi.call", glob("libffi.call", ".cc"), [])
    # closure.exp: *.c and *.cc when FFI_CLOSURES.
    no_closures = None if features["#if FFI_CLOSURES"] else "FFI_CLOSURES is 0"
    many("libffi.closures", glob("libffi.closures", ".c"), [], no_closures)
    many("libffi.closures", glob("libffi.closures", ".cc"), [], no_closures)
    # complex.exp and go.exp: *.c and *.cc (one sorted list) when the feature is there.
    many("libffi.complex", glob("libffi.complex", ".c", ".cc"), [],
         None if features["#ifdef FFI_TARGET_HAS_COMPLEX_TYPE"] else
         "no FFI_TARGET_HAS_COMPLEX_TYPE")
    many("libffi.go", glob("libffi.go", ".c", ".cc"), [],
         None if features["#ifdef FFI_GO_CLOSURES"] else "no FFI_GO_CLOSURES")
    # bhaible.exp: test-call.c with -DDGTEST=1..81, test-callback.c with 1..80.
    warnings = {"gnu": ["-Wno-unused-variable", "-Wno-unused-parameter",
                        "-Wno-unused-but-set-variable", "-Wno-uninitialized"],
                "clang": ["-Wno-unused-variable", "-Wno-unused-parameter", "-Wno-uninitialized"]
                }.get(vendor, [])
    bh = os.path.join(ts, "libffi.bhaible")
    for i in range(1, 82):
        many("libffi.bhaible", [os.path.join(bh, "test-call.c")], [f"-DDGTEST={i}"] + warnings)
    for i in range(1, 81):
        many("libffi.bhaible", [os.path.join(bh, "test-callback.c")], [f"-DDGTEST={i}"] + warnings,
             no_closures)

    for v in variants:
        v.directives = Directives(v.path, v.target, v.flags)
        if v.directives.skip and not v.unsupported:
            v.unsupported = "dg-skip-if / target selector"
        if v.directives.do != "run" and not v.unsupported:
            v.unsupported = f"dg-do {v.directives.do} (only run tests are run here)"
    return variants


def tree_digest(paths):
    h = hashlib.sha256()
    for p in paths:
        h.update(p.encode())
        with open(p, "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def compile_variant(v, bindir, salt):
    flags = v.flags + v.directives.options
    cmd = [v.compiler, v.path, *flags, *v.incflags, "-fdiagnostics-color=never", "-lffi", "-lm"]
    key = hashlib.sha256((salt + "\0" + "\0".join(cmd)).encode()).hexdigest()[:16]
    base = os.path.splitext(os.path.basename(v.path))[0]
    v.exe = os.path.join(bindir, v.dir, f"{base}-{key}.exe")
    log = v.exe + ".log"
    v.command = " ".join(cmd + ["-o", v.exe])
    if os.path.exists(v.exe) and os.path.exists(log):  # built before with the same inputs
        with open(log) as f:
            v.compile_log = f.read()
        v.compile_ok = True
        return
    os.makedirs(os.path.dirname(v.exe), exist_ok=True)
    tmp = v.exe + ".tmp"
    r = run(cmd + ["-o", tmp])
    v.compile_log = r.stdout
    if r.returncode != 0 or not os.path.exists(tmp):
        v.compile_ok = False
        return
    with open(log, "w") as f:
        f.write(r.stdout)
    os.replace(tmp, v.exe)
    v.compile_ok = True


def loaded_libffi(v, env):
    """Where the loader finds libffi.so.8 for v's executable under env (ld.so's trace mode, what
    ldd does), or None when the executable does not need libffi at all."""
    r = subprocess.run([v.exe], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       env=dict(env, LD_TRACE_LOADED_OBJECTS="1"), timeout=RUN_TIMEOUT)
    m = re.search(r"^\s*libffi\.so\.8 => (\S+)", r.stdout, re.M)
    if m:
        return os.path.realpath(m.group(1))
    if "libffi.so.8" in r.stdout:
        return "unresolved: " + r.stdout.strip()
    return None


def signal_name(rc):
    try:
        return signal.Signals(-rc).name
    except ValueError:
        return f"signal {-rc}"


def run_variant(v, lib, env, stats_file):
    try:
        r = subprocess.run([v.exe], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                           timeout=RUN_TIMEOUT, cwd=os.path.dirname(v.exe))
        out = r.stdout.decode("utf-8", errors="replace")
        rc = r.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode("utf-8", errors="replace")
        rc = None
    d = v.directives
    stats = None
    if os.path.exists(stats_file):
        with open(stats_file) as f:
            stats = [line for line in f.read().splitlines() if line]
        os.unlink(stats_file)
    if rc is None:
        ok, why = False, f"timed out after {RUN_TIMEOUT}s"
    elif rc != 0:
        ok, why = False, f"exit {rc}" if rc > 0 else f"killed by {signal_name(rc)}"
    elif d.output is not None and not tcl_regexp_to_python(d.output).search(out):
        ok, why = False, "output does not match the dg-output pattern"
    else:
        ok, why = True, ""
    # Which library served the process.
    if lib == "system" and stats:
        return ("FAIL", "jitffi's library was loaded in the system run: " + stats[0], out, None)
    parsed = None
    if lib == "jitffi" and v.loads is not None:
        if stats:
            m = STATS_RE.match(stats[-1])
            if len(stats) != 1 or not m:
                return ("FAIL", f"unexpected JITFFI_STATS output: {stats}", out, None)
            parsed = [int(x) for x in m.groups()]
        elif rc == 0:
            return ("FAIL", "exited 0 without a JITFFI_STATS line: jitffi's libffi.so.8 was not "
                    "loaded", out, None)
    # dg.exp: the execution test (xfail from dg-do), then, when it passed, the output pattern
    # test (xfail from dg-output); one status for both here.
    if rc != 0:
        status = "XFAIL" if d.do_xfail else "FAIL"
    elif not ok:
        status = "XFAIL" if d.output_xfail else "FAIL"
    else:
        status = "XPASS" if d.do_xfail or (d.output is not None and d.output_xfail) else "PASS"
    return (status, why, out, parsed)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lib", required=True, help="jitffi's libffi.so.8")
    ap.add_argument("--work", required=True, help="work directory (source cache, executables)")
    ap.add_argument("--fetch", help="scripts/fetch-libffi-testsuite.sh (run with <work>/src)")
    ap.add_argument("--src", help="an extracted libffi source tree to use instead of --fetch")
    ap.add_argument("--cc", default="cc")
    ap.add_argument("--cxx", default="c++")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--only", help="run only the variants whose name matches this regexp")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every result")
    a = ap.parse_args()
    start = time.time()

    machine = os.uname().machine
    if machine != "x86_64" or not sys.platform.startswith("linux"):
        raise Skip(f"written for x86_64-linux-gnu (its flags and fficonfig.h), not {machine} "
                   f"{sys.platform}")
    lib = os.path.abspath(a.lib)
    if not os.path.exists(lib):
        print(f"no library at {lib}", file=sys.stderr)
        return 1
    work = os.path.abspath(a.work)
    os.makedirs(work, exist_ok=True)

    if a.src:
        src_root = a.src
    else:
        if not a.fetch:
            print("give --fetch or --src", file=sys.stderr)
            return 1
        r = subprocess.run(["sh", a.fetch, os.path.join(work, "src")], stdout=subprocess.PIPE,
                           text=True)
        if r.returncode == 2:
            raise Skip("libffi 3.4.4's source could not be downloaded (no network?); see "
                       "fetch-libffi-testsuite's message, or set JITFFI_LIBFFI_SRC to a "
                       "directory holding libffi_3.4.4.orig.tar.gz")
        if r.returncode != 0:
            print(f"{a.fetch} failed (exit {r.returncode})", file=sys.stderr)
            return 1
        src_root = r.stdout.strip().splitlines()[-1]
    if not os.path.isdir(os.path.join(src_root, "testsuite", "libffi.call")):
        print(f"{src_root}: no testsuite/libffi.call", file=sys.stderr)
        return 1
    for tool in (a.cc, a.cxx):
        if not shutil.which(tool):
            print(f"no compiler {tool}", file=sys.stderr)
            return 1

    variants = enumerate_variants(src_root, a.cc, a.cxx, work, machine)
    if a.only:
        variants = [v for v in variants if re.search(a.only, v.name)]

    # Executables are cached under <work>/bin by a key over the command, the compilers, the
    # system's ffi.h and the test sources: a rerun (after a library change) only runs them.
    ts = os.path.join(src_root, "testsuite")
    srcs = sorted(os.path.join(dp, f) for dp, _, fs in os.walk(ts) for f in fs
                  if f.endswith((".c", ".cc", ".h", ".inc")))
    ffi_h = run([a.cc, "-E", "-x", "c", "-"], input="#include <ffi.h>\n").stdout
    salt = tree_digest(srcs) + run([a.cc, "--version"]).stdout + \
        run([a.cxx, "--version"]).stdout + hashlib.sha256(ffi_h.encode()).hexdigest() + repr(FFICONFIG)
    bindir = os.path.join(work, "bin")
    to_build = [v for v in variants if not v.unsupported]
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as pool:
        list(pool.map(lambda v: compile_variant(v, bindir, salt), to_build))
    compiled = time.time()

    # Both runs: the system libffi (nothing of ours reachable, and a JITFFI_STATS file that must
    # stay empty), then ours by LD_LIBRARY_PATH.
    stats_dir = tempfile.mkdtemp(prefix="stats-", dir=work)
    base_env = {k: val for k, val in os.environ.items()
                if k not in ("LD_LIBRARY_PATH", "LD_PRELOAD", "JITFFI_STATS", "JITFFI_BACKEND")}
    totals = [0] * len(STATS_FIELDS)
    stats_lines = 0
    jobs = []
    for i, v in enumerate(to_build):
        if not v.compile_ok:
            continue
        for libname in ("system", "jitffi"):
            env = dict(base_env)
            sf = os.path.join(stats_dir, f"{i}-{libname}.txt")
            env["JITFFI_STATS"] = sf
            if libname == "jitffi":
                env["LD_LIBRARY_PATH"] = os.path.dirname(lib)
            jobs.append((v, libname, env, sf))
    # Which file the loader gives each executable in our run: ours, or none when the compiler
    # removed every libffi call (some bhaible cases at -O2) and the executable needs no libffi.
    ours_env = dict(base_env, LD_LIBRARY_PATH=os.path.dirname(lib))
    runnable = [v for v in to_build if v.compile_ok]
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as pool:
        for v, where in zip(runnable, pool.map(lambda v: loaded_libffi(v, ours_env), runnable)):
            v.loads = where
    wrong = [v for v in runnable if v.loads is not None and v.loads != os.path.realpath(lib)]
    for v in wrong:
        print(f"{v.name}: libffi.so.8 resolves to {v.loads}, not {lib}")
    if wrong:
        return 1
    no_libffi = [v for v in runnable if v.loads is None]
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as pool:
        outs = list(pool.map(lambda j: run_variant(j[0], j[1], j[2], j[3]), jobs))
    for (v, libname, _, _), (status, why, out, parsed) in zip(jobs, outs):
        v.results[libname] = (status, why, out)
        if parsed:
            totals = [t + p for t, p in zip(totals, parsed)]
            stats_lines += 1
    shutil.rmtree(stats_dir, ignore_errors=True)

    # Per variant and library: PASS, FAIL, XFAIL, XPASS, UNSUPPORTED (compile failures and
    # warnings, DejaGnu's "excess errors", are FAIL for both).
    def outcome(v, libname):
        if v.unsupported:
            return "UNSUPPORTED"
        if not v.compile_ok:
            return "FAIL"
        status = v.results[libname][0]
        if v.compile_log.strip() and status in ("PASS", "XPASS"):
            return "FAIL"
        return status

    kinds = ["PASS", "FAIL", "XFAIL", "XPASS", "UNSUPPORTED"]
    print(f"{os.path.basename(src_root)}'s test suite ({len(variants)} variants: every run "
          f"test x -O0/-O2 x the default and GNUW64 ABIs where a test takes ABI_NUM)")
    print(f"  compiled in {compiled - start:.0f}s with {a.cc} / {a.cxx}; ran in "
          f"{time.time() - compiled:.0f}s; ours: {lib}")
    header = f"  {'directory':<17}" + "".join(f"{k.lower():>12}" for k in kinds)
    for libname, title in (("system", "system libffi (" + real_libffi_path() + ")"),
                           ("jitffi", "jitffi libffi.so.8 (LD_LIBRARY_PATH)")):
        print(f"{title}:")
        print(header)
        total = dict.fromkeys(kinds, 0)
        for d in DIRS:
            counts = dict.fromkeys(kinds, 0)
            for v in variants:
                if v.dir == d:
                    counts[outcome(v, libname)] += 1
            for k in kinds:
                total[k] += counts[k]
            print(f"  {d:<17}" + "".join(f"{counts[k]:>12}" for k in kinds))
        print(f"  {'total':<17}" + "".join(f"{total[k]:>12}" for k in kinds))

    def detail(v, libname):
        if not v.compile_ok:
            return "compilation failed:\n" + v.compile_log
        if v.compile_log.strip():
            return "compiler output (excess errors):\n" + v.compile_log
        status, why, out = v.results[libname]
        tail = "\n".join(out.splitlines()[-8:])
        return f"{why}\n    output (last lines):\n      " + tail.replace("\n", "\n      ")

    good = ("PASS", "XFAIL", "UNSUPPORTED")
    regressions = [v for v in variants
                   if outcome(v, "system") == "PASS" and outcome(v, "jitffi") != "PASS"]
    others = [v for v in variants
              if outcome(v, "system") != outcome(v, "jitffi") and v not in regressions]
    for v in variants:
        if outcome(v, "system") not in good:
            print(f"on the system libffi: {outcome(v, 'system')}: {v.name}: "
                  f"{detail(v, 'system')}")
        elif a.verbose:
            print(f"{outcome(v, 'system')} / {outcome(v, 'jitffi')}: {v.name}")
    for v in others:
        print(f"differs (system {outcome(v, 'system')}, jitffi {outcome(v, 'jitffi')}): {v.name}")
    for v in regressions:
        print(f"REGRESSION (passes on the system libffi, {outcome(v, 'jitffi')} on ours): "
              f"{v.name}\n    {v.command}\n    {detail(v, 'jitffi')}")
    if no_libffi:
        print(f"{len(no_libffi)} executables need no libffi (the compiler removed every call), "
              "passed on both: " + ", ".join(v.name for v in no_libffi))
    print("jitffi stats, summed over the {} processes of our run: stubs compiled {}; calls: jit "
          "{}, libffi {}; closures: jit {}, libffi {}; closure calls: jit {}, libffi {}"
          .format(stats_lines, *totals))
    passed_sys = sum(1 for v in variants if outcome(v, "system") == "PASS")
    if not passed_sys:
        print("nothing passed on the system libffi: the suite did not run")
        return 1
    if regressions:
        print(f"FAILED: {len(regressions)} of the {passed_sys} tests that pass on the system "
              f"libffi do not pass on ours")
        return 1
    print(f"OK: all {passed_sys} tests that pass on the system libffi pass on ours")
    return 0


def real_libffi_path():
    r = run(["sh", "-c", "ldconfig -p 2>/dev/null | grep -m1 'libffi.so.8 '"])
    m = re.search(r"=> (\S+)", r.stdout)
    return os.path.realpath(m.group(1)) if m else "libffi.so.8"


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Skip as e:
        print(f"SKIP: {e}")
        sys.exit(77)
