#!/usr/bin/python3
"""compare.py: compares what two builds of tinyad wrote (the x86-64 one and a
cross-built one under qemu-user): same structure, same strings and booleans
(verdicts), numbers within a relative tolerance. Prints one summary line:
how many numbers, how many bit-identical, the largest relative difference
and where. Exit 1 on any mismatch.

Usage: compare.py json|lines [--rel 1e-9] [--ignore KEY,...] NAME REFERENCE OTHER
  json   one JSON document each (model files, eval --json)
  lines  JSON lines each (score --json, serve responses), compared line by line
"""
import argparse
import json
import math
import sys


class Tally:
    def __init__(self, rel):
        self.rel = rel
        self.numbers = 0
        self.identical = 0
        self.worst = 0.0
        self.worst_at = ""
        self.errors = []

    def error(self, path, what):
        if len(self.errors) < 10:
            self.errors.append(f"{path}: {what}")
        else:
            self.errors.append(None)

    def number(self, path, a, b):
        self.numbers += 1
        if a == b or (math.isnan(a) and math.isnan(b)):
            self.identical += 1
            return
        # Relative to the larger magnitude: a difference in the last bits of
        # a double is ~1e-16 of it, whatever its size.
        rel = abs(a - b) / max(abs(a), abs(b))
        if rel > self.worst:
            self.worst, self.worst_at = rel, path
        if not rel <= self.rel:
            self.error(path, f"{a!r} vs {b!r} (relative difference {rel:.3g})")


def walk(t, path, a, b, ignore):
    if isinstance(a, bool) or isinstance(b, bool) or isinstance(a, str) or a is None:
        if a != b:
            t.error(path, f"{a!r} vs {b!r}")
    elif isinstance(a, (int, float)) and isinstance(b, (int, float)):
        t.number(path, float(a), float(b))
    elif isinstance(a, dict) and isinstance(b, dict):
        if sorted(a) != sorted(b):
            t.error(path, f"keys {sorted(a)} vs {sorted(b)}")
            return
        for k in a:
            if k not in ignore:
                walk(t, f"{path}/{k}", a[k], b[k], ignore)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            t.error(path, f"{len(a)} vs {len(b)} items")
            return
        for i, (x, y) in enumerate(zip(a, b)):
            walk(t, f"{path}[{i}]", x, y, ignore)
    else:
        t.error(path, f"{type(a).__name__} vs {type(b).__name__}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("mode", choices=["json", "lines"])
    p.add_argument("--rel", type=float, default=1e-9)
    p.add_argument("--ignore", default="", help="keys not compared (e.g. paths that differ by design)")
    p.add_argument("name")
    p.add_argument("reference")
    p.add_argument("other")
    args = p.parse_args()
    ignore = set(filter(None, args.ignore.split(",")))
    t = Tally(args.rel)
    with open(args.reference) as fa, open(args.other) as fb:
        if args.mode == "json":
            walk(t, "", json.load(fa), json.load(fb), ignore)
        else:
            la, lb = fa.read().splitlines(), fb.read().splitlines()
            if len(la) != len(lb) or not la:
                t.error("", f"{len(la)} vs {len(lb)} lines")
            for i, (x, y) in enumerate(zip(la, lb)):
                walk(t, f"line {i + 1}", json.loads(x), json.loads(y), ignore)
    status = "OK" if not t.errors else "FAIL"
    where = f" at {t.worst_at}" if t.worst_at else ""
    print(f"{status} {args.name}: {t.numbers} numbers, {t.identical} bit-identical, "
          f"largest relative difference {t.worst:.3g}{where}")
    for e in t.errors:
        print(f"  {e}" if e else "  ...", file=sys.stderr)
        if e is None:
            break
    return 0 if not t.errors else 1


if __name__ == "__main__":
    sys.exit(main())
