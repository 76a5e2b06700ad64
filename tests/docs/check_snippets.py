#!/usr/bin/env python3
"""Compiles (and runs) the C and C++ code blocks of README.md and docs/*.md against an installed
jitffi, with the flags pkg-config gives, as a reader would (issue 15 item 14).

  check_snippets.py PREFIX WORK_DIR FILE.md...

Every ```c / ```cpp block must be preceded by a marker comment saying what it is:

  <!-- snippet: run -->            a whole program: compiled and run, must exit 0
  <!-- snippet: main [top=N] -->   statements: compiled as the body of main() and run (the first
                                   N lines, e.g. a callback function, go before main)
  <!-- snippet: compile [top=N] -->  the same, compiled but not run (the reason follows on the
                                   comment's first line, e.g. it needs a database server)
  <!-- snippet: declare -->        C declarations: given to jitffi::Scope::declare and compiled
                                   by the C compiler
  <!-- snippet: fragment REASON --> not exercised (an excerpt of a header, an API listing with
                                   placeholders); listed in the report with the reason

Further lines of the comment give the context the text leaves out:
  global: <line>   before main (a target function, `using namespace`)
  setup: <line>    in main, before the block (a library handle the text assumes)
  check: <line>    in main, after the block: CHECK(cond) fails the snippet when cond is false
The block's own #include lines go to the top of the file. C++ blocks compile with -std=c++17
and pkg-config jitffi, or -std=c++20 and pkg-config jitffi-bindings when they use the bindings;
C blocks with -std=c99 and pkg-config jitffi. An unmarked block, a compile error, a warning, a
failing run or a failed check fails the test.
"""
import os
import re
import subprocess
import sys

MARK = re.compile(r"^<!--\s*snippet:\s*(\w+)(.*)$")
FENCE = re.compile(r"^```(\w*)\s*$")
CODE_LANGS = {"c": "c", "cpp": "cpp", "c++": "cpp"}

CXX_PRELUDE = """#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>
"""
C_PRELUDE = """#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
"""
CHECK_MACRO = """#define CHECK(cond) do { if (!(cond)) { \\
    fprintf(stderr, "snippet check failed: %s\\n", #cond); return 1; } } while (0)
"""
WARN = ["-Wall", "-Wextra", "-Werror", "-Wno-unused-variable", "-Wno-unused-but-set-variable",
        "-Wno-unused-parameter", "-Wno-unused-result", "-Wno-unused-value"]


class Block:
    def __init__(self, path, line, lang, text, mark):
        self.path, self.line, self.lang, self.text, self.mark = path, line, lang, text, mark

    def where(self):
        return f"{os.path.relpath(self.path)}:{self.line}"


def parse_marker(lines):
    """(kind, args, {global, setup, check}) from the comment's lines."""
    m = MARK.match(lines[0])
    kind, rest = m.group(1), m.group(2).replace("-->", "").strip()
    ctx = {"global": [], "setup": [], "check": []}
    for l in lines[1:]:
        l = l.replace("-->", "").rstrip()
        km = re.match(r"^\s*(global|setup|check):\s?(.*)$", l)
        if km:
            ctx[km.group(1)].append(km.group(2))
        elif l.strip():
            raise ValueError(f"marker line not understood: {l!r}")
    return kind, rest, ctx


def blocks_of(path):
    with open(path) as f:
        lines = f.read().split("\n")
    out, i, pending = [], 0, None
    while i < len(lines):
        line = lines[i]
        if MARK.match(line):
            start = i
            while "-->" not in lines[i]:
                i += 1
            pending = (start, parse_marker(lines[start:i + 1]))
            i += 1
            continue
        fm = FENCE.match(line)
        if fm:
            lang = fm.group(1)
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            if lang in CODE_LANGS:
                mark = pending[1] if pending else None
                out.append(Block(path, i + 1, CODE_LANGS[lang], lines[i + 1:j], mark))
            pending = None
            i = j + 1
            continue
        if line.strip():
            pending = None  # a marker applies to the block right after it only
        i += 1
    return out


def uses_bindings(b):
    text = "\n".join(b.text + sum(b.mark[2].values(), []))
    return "bindings" in text


def program(b):
    kind, args, ctx = b.mark
    top_n = 0
    m = re.search(r"\btop=(\d+)", args)
    if m:
        top_n = int(m.group(1))
    includes = [l for l in b.text if l.startswith("#include")]
    body = [l for l in b.text if not l.startswith("#include")]
    top, body = body[:top_n], body[top_n:]
    if b.lang == "cpp":
        src = CXX_PRELUDE + "\n".join(includes) + "\n" + CHECK_MACRO
        src += "\n".join(ctx["global"] + top) + "\n"
        src += "int main() {\n  try {\n"
        src += "\n".join(ctx["setup"] + body + ctx["check"])
        src += ("\n  } catch (const std::exception &e) {\n"
                "    std::fprintf(stderr, \"snippet threw: %s\\n\", e.what());\n"
                "    return 1;\n  }\n  return 0;\n}\n")
    else:
        src = C_PRELUDE + "\n".join(includes) + "\n" + CHECK_MACRO
        src += "\n".join(ctx["global"] + top) + "\n"
        src += "int main(void) {\n" + "\n".join(ctx["setup"] + body + ctx["check"])
        src += "\n  return 0;\n}\n"
    return src


def declare_program(b):
    text = "\n".join(b.text)
    return (CXX_PRELUDE + "#include <jitffi/jitffi.hpp>\n" + CHECK_MACRO +
            "int main() {\n  try {\n    jitffi::Scope scope;\n"
            f"    scope.declare(R\"__snippet__({text})__snippet__\");\n"
            "  } catch (const std::exception &e) {\n"
            "    std::fprintf(stderr, \"declare threw: %s\\n\", e.what());\n"
            "    return 1;\n  }\n  return 0;\n}\n")


def pkg_flags(prefix, module):
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(prefix, "lib", "pkgconfig"))
    for libdir in ("lib", "lib64", "lib/x86_64-linux-gnu", "lib/aarch64-linux-gnu"):
        pc = os.path.join(prefix, libdir, "pkgconfig")
        if os.path.isdir(pc):
            env["PKG_CONFIG_PATH"] = pc
            break
    out = subprocess.run(["pkg-config", "--cflags", "--libs", module], env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    libdir = subprocess.run(["pkg-config", "--variable=libdir", module], env=env, check=True,
                            capture_output=True, text=True).stdout.strip()
    return out + [f"-Wl,-rpath,{libdir}"]


def run(cmd, cwd, timeout):
    try:
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout + p.stderr
    except subprocess.TimeoutExpired:
        return -1, f"timed out after {timeout} s"


def main():
    prefix, work, files = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]), sys.argv[3:]
    os.makedirs(work, exist_ok=True)
    core, bind = pkg_flags(prefix, "jitffi"), pkg_flags(prefix, "jitffi-bindings")
    counts = {"ran": 0, "compiled": 0, "declared": 0, "fragment": 0}
    failures = []
    report = []
    for path in files:
        for n, b in enumerate(blocks_of(path)):
            if b.mark is None:
                failures.append(f"{b.where()}: {b.lang} block without a <!-- snippet: ... --> marker")
                continue
            kind, args, _ = b.mark
            if kind == "fragment":
                counts["fragment"] += 1
                report.append(f"not exercised  {b.where()}: {args}")
                continue
            if kind not in ("run", "main", "compile", "declare"):
                failures.append(f"{b.where()}: unknown snippet kind {kind!r}")
                continue
            stem = re.sub(r"\W", "_", f"{os.path.basename(path)}_{b.line}")
            d = os.path.join(work, stem)
            os.makedirs(d, exist_ok=True)
            exe = os.path.join(d, "snippet")
            if kind == "declare":
                # The C compiler must accept the text too (it is C, not our dialect).
                src_c = os.path.join(d, "decls.c")
                with open(src_c, "w") as f:
                    f.write("\n".join(b.text) + "\n")
                rc, out = run(["cc", "-std=c11", "-fsyntax-only", "-Wall", "-Werror", src_c], d, 60)
                if rc:
                    failures.append(f"{b.where()}: the C compiler rejects it:\n{out}")
                    continue
                src, lang, std, flags = declare_program(b), "cpp", "-std=c++17", core
            else:
                src = "\n".join(b.text) + "\n" if kind == "run" else program(b)
                lang = b.lang
                if lang == "c":
                    std, flags = "-std=c99", core
                elif uses_bindings(b):
                    std, flags = "-std=c++20", bind
                else:
                    std, flags = "-std=c++17", core
            src_path = os.path.join(d, "snippet." + ("c" if lang == "c" else "cpp"))
            with open(src_path, "w") as f:
                f.write(src)
            cc = "cc" if lang == "c" else "c++"
            # -rdynamic: snippets find their own target functions with Library::self().
            rc, out = run([cc, std, *WARN, "-rdynamic", "-o", exe, src_path, *flags,
                           "-lm"], d, 180)
            if rc:
                failures.append(f"{b.where()}: does not compile ({cc} {std}), {src_path}:\n{out}")
                continue
            if kind == "compile":
                counts["compiled"] += 1
                report.append(f"compiled only  {b.where()}: {args}")
                continue
            rc, out = run([exe], d, 60)
            if rc:
                failures.append(f"{b.where()}: ran and failed (status {rc}), {src_path}:\n{out}")
                continue
            counts["declared" if kind == "declare" else "ran"] += 1
            report.append(f"ran            {b.where()} ({kind})"
                          + (f": {out.strip().splitlines()[-1]}" if out.strip() else ""))
    for r in report:
        print(r)
    for f in failures:
        print("FAIL", f)
    print(f"{counts['ran']} ran, {counts['declared']} declarations parsed and compiled, "
          f"{counts['compiled']} compiled only, {counts['fragment']} fragments not exercised, "
          f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
