#!/usr/bin/python3
"""Reads ctest's JUnit report and prints one line: N passed, N failed[, N skipped].

Each ctest test is a cmocka program or a pytest file; their own counts are read
from the output ctest recorded, so the line counts individual test cases. A
ctest test that failed without saying which case failed (a crash, a sanitizer
report at exit) counts as one failure more."""
import re
import sys
import xml.etree.ElementTree as ET

CMOCKA_PASSED = re.compile(r"^\[  PASSED  \] (\d+) test", re.M)
CMOCKA_FAILED = re.compile(r"^\[  FAILED  \] (\d+) test", re.M)
CMOCKA_SKIPPED = re.compile(r"^\[  SKIPPED \] (\d+) test", re.M)
PYTEST_LINE = re.compile(r"^=*\s*((?:\d+ \w+(?:, )?)+) in [\d.]+s", re.M)


def counts_of(output):
    p = f = s = 0
    found = False
    for rx, kind in ((CMOCKA_PASSED, "p"), (CMOCKA_FAILED, "f"), (CMOCKA_SKIPPED, "s")):
        for m in rx.finditer(output):
            found = True
            n = int(m.group(1))
            if kind == "p":
                p += n
            elif kind == "f":
                f += n
            else:
                s += n
    for m in PYTEST_LINE.finditer(output):
        found = True
        for part in m.group(1).split(", "):
            n, word = part.split(" ", 1)
            if word == "passed":
                p += int(n)
            elif word in ("failed", "error", "errors"):
                f += int(n)
            elif word in ("skipped", "xfailed", "deselected"):
                s += int(n)
    return found, p, f, s


def main(path):
    passed = failed = skipped = 0
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        print(f"summarize: cannot read {path}: {e}", file=sys.stderr)
        print("0 passed, 1 failed")
        return 1
    for case in root.iter("testcase"):
        out = "".join(e.text or "" for e in case.iter("system-out"))
        ctest_failed = case.find("failure") is not None or case.get("status") == "fail"
        ctest_skipped = case.find("skipped") is not None
        found, p, f, s = counts_of(out)
        if not found:
            p, f, s = (0, 1, 0) if ctest_failed else ((0, 0, 1) if ctest_skipped else (1, 0, 0))
        elif ctest_failed and f == 0:
            f = 1
        passed, failed, skipped = passed + p, failed + f, skipped + s
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
