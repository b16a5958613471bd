#!/usr/bin/python3
"""post_windows.py: sends CSV windows (x, y, z rows) to a running `tinyad
serve` as the firmware does (POST / with a JSON body {"x":[...],"y":[...],
"z":[...]} and an X-Device-Id header) and prints each JSON answer on a line.

Usage: post_windows.py URL DEVICE FILE...
"""
import json
import sys
import urllib.request


def window_body(path):
    axes = {"x": [], "y": [], "z": []}
    with open(path) as f:
        for line in f:
            cells = line.strip().split(",")
            if len(cells) < 3:
                continue
            for name, cell in zip("xyz", cells[-3:]):
                axes[name].append(float(cell))
    return json.dumps(axes).encode()


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    url, device = sys.argv[1], sys.argv[2]
    for path in sys.argv[3:]:
        request = urllib.request.Request(url, data=window_body(path), method="POST",
                                         headers={"Content-Type": "application/json",
                                                  "X-Device-Id": device})
        with urllib.request.urlopen(request, timeout=60) as answer:
            print(json.dumps(json.loads(answer.read())), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
