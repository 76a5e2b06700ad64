#!/usr/bin/env python3
"""Builds the fuzzers' seed corpus (tests/fuzz/corpus/) from the signature texts the project
already has: string literals in the tests, bindings, examples and tools, and code spans in the
docs. Declarations given to declare() are paired with prototypes of the same file as
`declarations\\n---\\nprototype` (the form fuzz_parse feeds to Scope::declare and
Scope::signature). Each seed is a file named by the SHA-1 of its text, so reruns are stable.

    python3 tests/fuzz/make_corpus.py            # rewrite tests/fuzz/corpus/
    python3 tests/fuzz/make_corpus.py --check    # exit 1 if the committed corpus is stale
"""
import argparse
import hashlib
import os
import re
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus")
SOURCE_DIRS = ["tests", "bindings", "examples", "tools", "bench", "src", "compat"]
SOURCE_EXT = (".cpp", ".c", ".h", ".hpp")
MAX_LEN = 600

# One C string literal, then any literals adjacent to it ("a" "b" is one string).
LITERAL = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
ADJACENT = re.compile(r'"((?:[^"\\\n]|\\.)*)"(?:\s*"((?:[^"\\\n]|\\.)*)")+')
CODE_SPAN = re.compile(r"`([^`\n]+)`")
ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "'": "'", "0": "\0"}
# What signature and declaration texts are made of.
SIG_CHARS = re.compile(r"^[\w\s:*,()\[\]{}.;+\-<>'&|^~!?%/=#@]+$")
C_TYPE_WORDS = re.compile(
    r"\b(void|int|char|short|long|double|float|struct|union|enum|typedef|size_t|"
    r"i8|u8|i16|u16|i32|u32|i64|u64|i128|u128|f32|f64|ldouble|ptr|cstr|bool|unsigned|signed)\b")


def unescape(s):
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            out.append(ESCAPES.get(s[i + 1], s[i + 1]))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def literals(text):
    """Yields (offset, string) for each literal, adjacent literals joined."""
    taken = set()
    for m in ADJACENT.finditer(text):
        parts = LITERAL.findall(m.group(0))
        for sub in LITERAL.finditer(m.group(0)):
            taken.add(m.start() + sub.start())
        yield m.start(), unescape("".join(parts))
    for m in LITERAL.finditer(text):
        if m.start() not in taken:
            yield m.start(), unescape(m.group(1))


def looks_like_signature(s):
    s = s.strip()
    if not (3 <= len(s) <= MAX_LEN) or not SIG_CHARS.match(s):
        return False
    if not C_TYPE_WORDS.search(s):
        return False
    return ("(" in s and ")" in s) or "{" in s or s.endswith(";")


def is_declaration(s):
    s = s.strip()
    return s.endswith(";") and re.search(r"\b(struct|union|enum|typedef)\b", s) is not None


def collect():
    seeds = set()
    for d in SOURCE_DIRS:
        for dirpath, _, files in os.walk(os.path.join(ROOT, d)):
            if "fuzz" in os.path.relpath(dirpath, ROOT).split(os.sep):
                continue
            for f in sorted(files):
                if not f.endswith(SOURCE_EXT):
                    continue
                text = open(os.path.join(dirpath, f), encoding="utf-8", errors="replace").read()
                decls, protos = [], []
                for _, s in literals(text):
                    if not looks_like_signature(s):
                        continue
                    seeds.add(s)
                    (decls if is_declaration(s) else protos).append(s)
                # Declarations with the prototypes that use them (same file).
                for dcl in decls[:20]:
                    for p in protos[:3]:
                        seeds.add(dcl + "\n---\n" + p)
    for dirpath, _, files in os.walk(os.path.join(ROOT, "docs")):
        for f in sorted(files):
            if f.endswith(".md"):
                text = open(os.path.join(dirpath, f), encoding="utf-8").read()
                for m in CODE_SPAN.finditer(text):
                    if looks_like_signature(m.group(1)):
                        seeds.add(m.group(1).strip())
                for _, s in literals(text):
                    if looks_like_signature(s):
                        seeds.add(s)
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    for _, s in literals(readme):
        if looks_like_signature(s):
            seeds.add(s)
    return sorted(seeds)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    seeds = collect()
    want = {hashlib.sha1(s.encode()).hexdigest(): s for s in seeds}
    have = set(os.listdir(OUT)) if os.path.isdir(OUT) else set()
    if args.check:
        stale = sorted(set(want) ^ have)
        if stale:
            print(f"make_corpus: {len(stale)} seeds differ; rerun tests/fuzz/make_corpus.py")
            return 1
        print(f"make_corpus: {len(want)} seeds up to date")
        return 0
    os.makedirs(OUT, exist_ok=True)
    for name in have - set(want):
        os.remove(os.path.join(OUT, name))
    for name, s in want.items():
        with open(os.path.join(OUT, name), "w", encoding="utf-8") as f:
            f.write(s)
    print(f"make_corpus: {len(want)} seeds in {os.path.relpath(OUT, ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
