#!/usr/bin/python3
"""post_latency.py: windows posted to `tinyad serve` one after another on a
kept-alive connection, each one timed (bench/serve/baselines_save.sh).

  post_latency.py fill PORT BODY N            one window for each of devices d0..d{N-1}
  post_latency.py measure PORT BODY N SECONDS RATE FILE
      RATE windows/s to random devices among the N for SECONDS, while FILE
      (the --baselines file) is watched: each new file renamed into place is
      a finished save. Prints p50/p99/max of all posts and of the posts in
      flight in the 2 s before each save finished, as JSON.
Only the standard library of Debian's python3.
"""
import http.client
import json
import os
import random
import sys
import threading
import time


def post(conn, body, device):
    conn.request("POST", "/", body=body, headers={"Content-Type": "application/json", "X-Device-Id": device})
    r = conn.getresponse()
    r.read()
    return r.status


def quantile(xs, q):
    if not xs:
        return None
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def summary(lat):
    ms = [x * 1000 for x in lat]
    return {"n": len(ms), "p50_ms": quantile(ms, 0.5), "p99_ms": quantile(ms, 0.99), "max_ms": max(ms) if ms else None}


def main():
    mode, port, body_path, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    body = open(body_path, "rb").read()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    if mode == "fill":
        bad = sum(post(conn, body, "d%d" % i) != 200 for i in range(n))
        print(json.dumps({"filled": n, "not_200": bad}))
        return
    seconds, rate, watched = float(sys.argv[5]), float(sys.argv[6]), sys.argv[7]
    saves, stop = [], threading.Event()

    def watch():  # a save ends with a rename: a new inode
        last = None
        while not stop.is_set():
            try:
                st = os.stat(watched)
                if last is not None and st.st_ino != last:
                    saves.append((time.monotonic(), st.st_size))
                last = st.st_ino
            except FileNotFoundError:
                pass
            time.sleep(0.005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    rng = random.Random(1)
    posts, codes = [], {}
    t0 = time.monotonic()
    k = 0
    while time.monotonic() - t0 < seconds:
        due = t0 + k / rate
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        start = time.monotonic()
        code = post(conn, body, "d%d" % rng.randrange(n))
        posts.append((start, time.monotonic() - start))
        codes[code] = codes.get(code, 0) + 1
        k += 1
    stop.set()
    watcher.join()
    near = [lat for (s, lat) in posts if any(e - 2.0 <= s <= e for (e, _) in saves)]
    print(json.dumps({"seconds": seconds, "rate": rate, "codes": codes, "saves": len(saves),
                      "file_mb": round(saves[-1][1] / 1e6, 1) if saves else None,
                      "all": summary([lat for (_, lat) in posts]), "during_saves": summary(near)}))


main()
