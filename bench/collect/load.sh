#!/usr/bin/env bash
# load.sh: how many windows per second `tinyad collect` stores, with clients
# that open a new connection per request (Connection: close), as the boards.
#   bench/collect/load.sh TINYAD_BINARY [FOLDER_PARENT] [ROUNDS]
# Each round starts a fresh server on a free port with an empty folder (the
# folder holds at most 10,000 windows, so rounds are short) and loads it:
#   wrk   2 threads, 64 connections, 1 s of POSTs of one 200-reading window
#   device  32 emulated boards doing the whole protocol (GET flag, POST), 150 windows each
# and prints the windows stored per second of each round, counted on disk.
set -euo pipefail
bin=${1:?usage: load.sh TINYAD_BINARY [FOLDER_PARENT] [ROUNDS]}
parent=${2:-${TMPDIR:-/tmp}}
rounds=${3:-5}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../common.sh"  # window_body
work=$(mktemp -d "$parent/tinyad-load.XXXXXX")
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# One simulated window as the firmware's JSON body.
"$bin" simulate -o "$work/sim" -n 1 --labels fan_0_high_0_weight >/dev/null
window_body "$work/sim/fan_0_high_0_weight/0000.csv" "$work/body.json"

# Each round writes a new folder and nothing is deleted until the end: ext4's
# inode allocator slows down a lot right after mass deletions (it skips
# recently deleted inodes), which is not what a collection run meets.
start_server() {  # $1: folder; sets server_pid and port
  "$bin" collect -d "$1" -p 0 -t 0 -q --host 127.0.0.1 >"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do
    port=$(sed -n 's/^listening on port \([0-9]*\)$/\1/p' "$work/server.log")
    [ -n "$port" ] && return 0
    sleep 0.05
  done
  echo "server did not start: $(cat "$work/server.log")" >&2
  exit 1
}
stop_server() {
  kill -INT "$server_pid"
  wait "$server_pid" || true
  server_pid=
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$rounds"); do
  start_server "$work/wrk-$r"
  out=$(TINYAD_BODY="$work/body.json" wrk -t2 -c64 -d1s -s "$here/post_window.lua" "http://127.0.0.1:$port/")
  stop_server
  secs=$(echo "$out" | sed -n 's/.* requests in \([0-9.]*\)s,.*/\1/p')
  stored=$(find "$work/wrk-$r" -name '*.csv' | wc -l)
  refused=$(echo "$out" | sed -n 's/.*Non-2xx or 3xx responses: \([0-9]*\).*/\1/p')
  # The folder may fill (10,000 files) before wrk's second is over; then
  # stored / wrk-seconds understates the rate, so also time the stores
  # themselves: first to last file modification time.
  span=$(find "$work/wrk-$r" -name '*.csv' -printf '%T@\n' | sort -n | sed -n '1p;$p' | paste -sd' ' |
    awk '{printf "%.3f", $2 - $1}')
  echo "wrk round $r: $stored windows stored in $secs s = $(awk -v n="$stored" -v s="$secs" 'BEGIN {printf "%.0f", n / s}') windows/s (non-2xx: ${refused:-0}); first to last store: $span s = $(awk -v n="$stored" -v s="$span" 'BEGIN {printf "%.0f", (n - 1) / s}') windows/s"
done
for r in $(seq "$rounds"); do
  start_server "$work/dev-$r"
  out=$("$bin" device --server "http://127.0.0.1:$port" --devices 32 -n 150 --timeout-ms 5000)
  stop_server
  echo "device round $r: $out"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
