#!/usr/bin/env python3
"""Per-function test coverage of the bindings: which declared C functions the tests call.

Runs the binding test suites (ctest labels bindings, bindings_net, bindings_bson,
bindings_mariadb, bindings_mongoc, examples included, default back end) with
JITFFI_BINDING_COVERAGE=<file>: every process of the run then appends, at exit, one line per
function its bindings resolved, "<binding>\\t<function>\\t<calls>" (bindings/coverage.cpp counts
each call through the function's resolved address). The union of the lines is the declared set;
a function with no call in any process is uncalled.

  binding_coverage.py run BUILD_DIR [--allow FILE] [--markdown] [--update-docs FILE]
  binding_coverage.py report DATA_FILE [--allow FILE] [--markdown] [--update-docs FILE]

Prints, per library: declared, called, and the functions never called. With --allow, exits 1
when a declared function is neither called nor in the allow-list (each entry names why), when an
allow-listed function is called after all or not declared, or when a library is absent from the
run. --update-docs rewrites the table between the coverage markers of docs/bindings.md.
"""

import argparse
import collections
import os
import shutil
import subprocess
import sys
import tempfile

LABELS = "^(bindings|bindings_net|bindings_bson|bindings_mariadb|bindings_mongoc)$"
# The bindings' names (resolve_functions' last argument), in report order.
LIBRARIES = ["libc", "libsqlite3", "libcurl", "libuv", "libevent", "libbson", "libmariadb",
             "libmongoc"]
BEGIN = "<!-- binding-coverage:begin (tests/scripts/binding_coverage.py --update-docs) -->"
END = "<!-- binding-coverage:end -->"


def load(path):
    """{library: {function: calls or None (absent from the library file)}}"""
    data = collections.defaultdict(dict)
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3:
                sys.exit(f"{path}:{n}: not '<binding>\\t<function>\\t<calls>': {line!r}")
            lib, fn, calls = parts
            fns = data[lib]
            if calls == "missing":
                fns.setdefault(fn, None)
            elif calls.isdigit():
                fns[fn] = (fns.get(fn) or 0) + int(calls)
            else:
                sys.exit(f"{path}:{n}: bad call count {calls!r}")
    return data


def load_allow(path):
    """{(binding, function): reason}; a line is '<binding> <function> not tested because ...'."""
    allow = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            parts = text.split(None, 2)
            if len(parts) < 3 or not parts[2].startswith("not tested because "):
                sys.exit(f"{path}:{n}: an entry is '<binding> <function> not tested because <why>': "
                         f"{line.rstrip()!r}")
            key = (parts[0], parts[1])
            if key in allow:
                sys.exit(f"{path}:{n}: {parts[0]} {parts[1]} is listed twice")
            allow[key] = parts[2].strip()
    return allow


def summarize(data, allow):
    rows = []
    for lib in LIBRARIES + sorted(set(data) - set(LIBRARIES)):
        fns = data.get(lib, {})
        called = sorted(f for f, c in fns.items() if c)
        absent = sorted(f for f, c in fns.items() if c is None)
        uncalled = sorted(f for f, c in fns.items() if c == 0)
        rows.append((lib, fns, called, absent, uncalled))
    return rows


def print_report(rows, allow):
    for lib, fns, called, absent, uncalled in rows:
        print(f"{lib}: declared {len(fns)}, called {len(called)}"
              + (f", absent from the installed library {len(absent)}" if absent else ""))
        for f in uncalled:
            why = allow.get((lib, f))
            print(f"  never called: {f}" + (f"  [allowed: {why}]" if why else ""))
        for f in absent:
            print(f"  absent: {f}")


def markdown(rows, allow):
    out = ["| Library | Declared | Called by the tests | Not called, and why |",
           "| --- | ---: | ---: | --- |"]
    for lib, fns, called, absent, uncalled in rows:
        notes = []
        by_reason = collections.OrderedDict()
        for f in uncalled:
            by_reason.setdefault(allow.get((lib, f), "NOT IN THE ALLOW-LIST"), []).append(f)
        for why, names in by_reason.items():
            notes.append(", ".join(f"`{n}`" for n in names) + ": " + why)
        for f in absent:
            notes.append(f"`{f}`: absent from the installed library (optional)")
        out.append(f"| {lib} | {len(fns)} | {len(called)} | " + ("; ".join(notes) or "—") + " |")
    return "\n".join(out) + "\n"


def check(data, rows, allow):
    problems = []
    for lib in LIBRARIES:
        if not data.get(lib):
            problems.append(f"{lib}: no function resolved in the whole run (suite not run?)")
    declared = {(lib, f) for lib, fns, *_ in rows for f in fns}
    for lib, fns, called, absent, uncalled in rows:
        for f in uncalled:
            if (lib, f) not in allow:
                problems.append(f"{lib} {f}: declared, never called, not in the allow-list")
        for f in called:
            if (lib, f) in allow:
                problems.append(f"{lib} {f}: in the allow-list but called: remove the entry")
    for key in allow:
        if key not in declared and key[0] in data:
            problems.append(f"{key[0]} {key[1]}: in the allow-list but not declared")
    return problems


def update_docs(path, table):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        sys.exit(f"{path}: no '{BEGIN}' ... '{END}' markers")
    text = text[:start + len(BEGIN)] + "\n" + table + text[end:]
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def find_mariadbd():
    """Where the MariaDB tests' server finder looks (tests/bindings_mariadb/server)."""
    bindir = os.environ.get("JITFFI_MARIADB_BINDIR")
    path = bindir if bindir else os.environ.get("PATH", "") + ":/usr/sbin:/usr/local/sbin:/usr/bin:/sbin"
    return shutil.which("mariadbd", path=path)


def run_suites(build, data, outer_fixture, jobs):
    env = dict(os.environ, JITFFI_BINDING_COVERAGE=data)
    env.pop("JITFFI_BACKEND", None)
    exclude = r"\.libffi$"
    if outer_fixture:
        # Inside ctest: the enclosing run's mariadb_server fixture is up; do not start another.
        exclude += r"|^mariadb_server\.(start|stop)$"
    # The tests are the build's, reached through a directory of our own (subdirs), so that this
    # ctest keeps its Testing/ logs there and leaves the enclosing run's LastTest.log alone.
    with tempfile.TemporaryDirectory(prefix="binding_coverage.") as top:
        with open(os.path.join(top, "CTestTestfile.cmake"), "w", encoding="utf-8") as f:
            f.write('subdirs("%s")\n' % os.path.abspath(build).replace("\\", "/"))
        cmd = ["ctest", "--test-dir", top, "-L", LABELS, "-E", exclude, "-j", str(jobs),
               "--output-on-failure"]
        if outer_fixture:
            cmd += ["-FS", "mariadb_server", "-FC", "mariadb_server"]
        print(f"+ JITFFI_BINDING_COVERAGE={data} {' '.join(cmd)}  # tests of {build}", flush=True)
        return subprocess.run(cmd, env=env).returncode


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=["run", "report"])
    ap.add_argument("target", help="run: the build directory; report: a data file")
    ap.add_argument("--allow", help="the allow-list: fail on any other uncalled function")
    ap.add_argument("--markdown", action="store_true", help="print the docs table too")
    ap.add_argument("--update-docs", metavar="FILE", help="rewrite the table in FILE")
    ap.add_argument("--outer-fixture", action="store_true",
                    help="run inside ctest, whose mariadb_server fixture is already up")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--keep", metavar="FILE", help="run: keep the data in FILE")
    args = ap.parse_args()

    rc = 0
    if args.mode == "run":
        fd, data = tempfile.mkstemp(prefix="binding_coverage.", suffix=".txt")
        os.close(fd)
        try:
            rc = run_suites(args.target, data, args.outer_fixture, args.jobs)
            results = load(data)
            if args.keep:
                with open(data, encoding="utf-8") as src, open(args.keep, "w") as dst:
                    dst.write(src.read())
        finally:
            os.unlink(data)
        if rc != 0:
            print(f"binding coverage: the test run failed (ctest exit {rc}); counts below are "
                  "of the tests that ran", file=sys.stderr)
    else:
        results = load(args.target)

    allow = load_allow(args.allow) if args.allow else {}
    rows = summarize(results, allow)
    print_report(rows, allow)
    table = markdown(rows, allow)
    if args.markdown:
        print()
        print(table, end="")
    if args.update_docs:
        update_docs(args.update_docs, table)
    if args.allow:
        # Without mariadbd the MariaDB tests skip (and say so): that binding is not measured.
        unmeasured = set() if args.mode == "report" or find_mariadbd() else {"libmariadb"}
        problems = [p for p in check(results, rows, allow) if p.split()[0] not in unmeasured]
        for p in problems:
            print("FAIL: " + p, file=sys.stderr)
        if problems or rc:
            return 1
        if unmeasured:
            print("SKIP: libmariadb not measured: mariadbd not found (install mariadb-server; "
                  "the MariaDB tests skip without it); every other binding passed the check")
            return 77
    return 1 if rc else 0


if __name__ == "__main__":
    sys.exit(main())
