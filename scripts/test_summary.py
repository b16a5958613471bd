#!/usr/bin/env python3
"""test_summary.py JUNIT_XML: the last lines of `make test`: how many tests
ran, passed, failed and were skipped, and for each skipped test why (the
reason its own output gave: GTEST_SKIP's message, or a script's exit-77 line).
Reads the JUnit file ctest writes with --output-junit. Standard library only."""
import sys
import xml.etree.ElementTree as ET


def skip_reason(case):
    out = case.findtext("system-out") or ""
    lines = [l.strip() for l in out.splitlines() if l.strip()]
    # GTEST_SKIP prints "path:line: Skipped" then the message on the next line.
    for i, line in enumerate(lines):
        if line.endswith("Skipped") and i + 1 < len(lines):
            return lines[i + 1]
    for line in lines:
        if "skip" in line.lower():
            return line
    return lines[-1] if lines else "(no reason printed)"


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: test_summary.py JUNIT_XML")
    try:
        root = ET.parse(sys.argv[1]).getroot()
    except (OSError, ET.ParseError) as e:
        sys.exit(f"test_summary: cannot read {sys.argv[1]}: {e}")
    cases = list(root.iter("testcase"))
    skipped = [c for c in cases if c.find("skipped") is not None or c.get("status") == "notrun"]
    failed = [c for c in cases if c.find("failure") is not None or c.get("status") == "fail"]
    passed = len(cases) - len(skipped) - len(failed)
    print(f"tests: {len(cases)} run, {passed} passed, {len(failed)} failed, {len(skipped)} skipped")
    for c in skipped:
        print(f"  skipped {c.get('name')}: {skip_reason(c)}")


if __name__ == "__main__":
    main()
