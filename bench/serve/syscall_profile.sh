#!/usr/bin/env bash
# syscall_profile.sh: the system calls `tinyad serve` makes per window POST
# (Connection: close, as the boards send them), counted by strace -c, which
# does not depend on the machine's load: wrk with 4 connections for SECONDS
# against serve under strace (slow, but the count per request is what
# matters). Prints strace's table and the calls per scored window.
#   bench/serve/syscall_profile.sh TINYAD_BINARY [SECONDS]
set -euo pipefail
bin=$(realpath "${1:?usage: syscall_profile.sh TINYAD_BINARY [SECONDS]}")
secs=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../common.sh"  # simulated_model, free_port
command -v strace >/dev/null || { echo "syscall_profile.sh: strace not found (apt-get install strace)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/tinyad-syscall-profile.XXXXXX")
spid=
cleanup() {
  [ -n "$spid" ] && kill "$spid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

simulated_model "$bin" "$work"
port=$(free_port)
# strace -f follows the server threads; TERM to serve itself (not strace) ends
# it cleanly, and strace then writes its table.
strace -f -c -o "$work/strace.txt" "$bin" serve --model "$work/model.json" -p "$port" --host 127.0.0.1 \
  >"$work/serve.log" 2>&1 &
spid=$!
for _ in $(seq 100); do grep -q "^listening on port" "$work/serve.log" && break; sleep 0.1; done
TINYAD_BODY="$work/body.json" wrk -t1 -c4 -d"${secs}s" -s "$here/../collect/post_window.lua" \
  "http://127.0.0.1:$port/" >/dev/null
kill -TERM "$(pgrep -P "$spid" -x tinyad || pgrep -P "$spid")"
wait "$spid" || true
spid=
windows=$(sed -n 's/^stopped: \([0-9]*\) windows scored.*/\1/p' "$work/serve.log")
[ "${windows:-0}" -gt 0 ] || { echo "syscall_profile.sh: no window scored: $(tail -3 "$work/serve.log")" >&2; exit 1; }
cat "$work/strace.txt"
echo "$windows windows; calls per window:"
awk -v n="$windows" '$NF ~ /^[a-z_0-9]+$/ && $4 ~ /^[0-9]+$/ && $NF != "total" && $4 / n >= 0.01 {
    printf "  %-14s %6.2f\n", $NF, $4 / n
  }' "$work/strace.txt"
