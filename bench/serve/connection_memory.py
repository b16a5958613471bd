#!/usr/bin/python3
"""connection_memory.py: serve's resident memory (VmRSS) with N connections
open and after they close (bench/serve/connection_memory.sh starts serve).

  connection_memory.py PID PORT BODY N CYCLES

Stages, each RSS read 1 s after the last socket call:
  idle      N connections that send nothing, CYCLES times open then closed
  partial   N connections that send half a request head, then closed
  events    N clients of /events that never read, while 1000 devices post
            (three times)
  dashboard N clients that ask for /dashboard (1000 devices) and never read
Prints one JSON object: RSS in MB per stage, and KB per connection.
Only the standard library of Debian's python3.
"""
import http.client
import json
import socket
import sys
import time


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def settle_rss(pid):
    time.sleep(1.0)
    return rss_kb(pid)


def open_many(port, n, first=b""):
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a client that reads nothing holds little
        if first:
            s.sendall(first)
        socks.append(s)
    return socks


def close_all(socks):
    for s in socks:
        s.close()


def post_devices(port, body, n, rounds=1):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for _ in range(rounds):
        for i in range(n):
            conn.request("POST", "/", body=body, headers={"Content-Type": "application/json", "X-Device-Id": "dev-%04d" % i})
            conn.getresponse().read()
    conn.close()


def main():
    pid, port, body, n, cycles = int(sys.argv[1]), int(sys.argv[2]), open(sys.argv[3], "rb").read(), int(sys.argv[4]), int(sys.argv[5])
    mb = lambda kb: round(kb / 1024, 1)
    out = {"connections": n}
    post_devices(port, body, 50)  # warm: threads, model, first allocations
    base = settle_rss(pid)
    out["start_mb"] = mb(base)
    idle_open, idle_closed = [], []
    for _ in range(cycles):
        socks = open_many(port, n)
        idle_open.append(settle_rss(pid))
        close_all(socks)
        idle_closed.append(settle_rss(pid))
    out["idle_open_mb"] = [mb(x) for x in idle_open]
    out["idle_closed_mb"] = [mb(x) for x in idle_closed]
    out["idle_kb_per_open_connection"] = round((idle_open[0] - base) / n, 1)
    out["idle_kb_kept_per_closed_connection"] = round((idle_closed[-1] - base) / (n * cycles), 2)

    socks = open_many(port, n, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Le")
    partial = settle_rss(pid)
    close_all(socks)
    out["partial_open_mb"], out["partial_closed_mb"] = mb(partial), mb(settle_rss(pid))

    post_devices(port, body, 1000)  # 1000 devices on the dashboard and in every /events snapshot
    before = settle_rss(pid)
    out["devices_1000_mb"] = mb(before)
    out["events_open_mb"], out["events_closed_mb"] = [], []
    for _ in range(3):  # thrice: memory kept for reuse stays level, a leak would grow
        socks = open_many(port, n, b"GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
        post_devices(port, body, 1000, rounds=2)  # verdicts stream to clients that never read
        out["events_open_mb"].append(mb(settle_rss(pid)))
        close_all(socks)
        out["events_closed_mb"].append(mb(settle_rss(pid)))

    socks = open_many(port, n, b"GET /dashboard HTTP/1.1\r\nHost: x\r\n\r\n")
    out["dashboard_open_mb"] = mb(settle_rss(pid))
    close_all(socks)
    out["dashboard_closed_mb"] = mb(settle_rss(pid))
    t = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/healthz")
    conn.getresponse().read()
    out["healthz_ms_after"] = round((time.monotonic() - t) * 1000, 1)
    print(json.dumps(out))


main()
