#!/usr/bin/env python3
"""Runs jitffi_create_count under callgrind and prints instructions per creation (Ir / N) for
each section as a markdown table. Usage: create_callgrind.py path/to/jitffi_create_count [N]"""
import glob
import os
import re
import subprocess
import sys
import tempfile


def main():
    exe = sys.argv[1]
    n = sys.argv[2] if len(sys.argv) > 2 else "1000"
    rows = []
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "cg.out")
        subprocess.run(["valgrind", "--tool=callgrind", "--collect-atstart=yes",
                        f"--callgrind-out-file={out}", exe, n],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for path in sorted(glob.glob(out + ".*"), key=lambda p: int(p.rsplit(".", 1)[1])):
            text = open(path, errors="replace").read()
            m = re.search(r"^desc: Trigger: Client Request: (.*)@(\d+)$", text, re.M)
            t = re.search(r"^(?:totals|summary): (\d+)", text, re.M)
            if m and t:
                rows.append((m.group(1), int(m.group(2)), int(t.group(1))))
    print("| section | creations | instructions per creation |")
    print("|---|---:|---:|")
    for name, count, ir in rows:
        print(f"| {name} | {count} | {ir / count:,.0f} |")


if __name__ == "__main__":
    main()
