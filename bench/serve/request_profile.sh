#!/usr/bin/env bash
# request_profile.sh: what one window POST costs `tinyad serve`, in
# instructions counted by callgrind (valgrind), so the number does not
# depend on what else runs on the machine (wall-clock rates on the shared
# 2-core VM swing by 2x). The same load as http_load.sh (one simulated
# 200-reading window, Connection: close), slowly: wrk with 2 connections
# for SECONDS under callgrind. Prints the instructions per window of the
# event-loop threads (everything serve does for a request, in user space:
# the kernel's TCP work is not counted) and of the parts of the window path.
#   bench/serve/request_profile.sh TINYAD_BINARY [SECONDS]
set -euo pipefail
bin=$(realpath "${1:?usage: request_profile.sh TINYAD_BINARY [SECONDS]}")
secs=${2:-10}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../common.sh"  # simulated_model, free_port
command -v valgrind >/dev/null || { echo "request_profile.sh: valgrind not found (scripts/deps.sh test installs it)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/tinyad-request-profile.XXXXXX")
vpid=
cleanup() {
  [ -n "$vpid" ] && kill "$vpid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

simulated_model "$bin" "$work"

port=$(free_port)
valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" \
  "$bin" serve --model "$work/model.json" -p "$port" --host 127.0.0.1 >"$work/serve.log" 2>&1 &
vpid=$!
for _ in $(seq 600); do grep -q "^listening on port" "$work/serve.log" && break; sleep 0.1; done
TINYAD_BODY="$work/body.json" wrk -t1 -c2 -d"${secs}s" -s "$here/../collect/post_window.lua" \
  "http://127.0.0.1:$port/" >/dev/null
kill -TERM "$vpid"
wait "$vpid" || true
vpid=
windows=$(sed -n 's/^stopped: \([0-9]*\) windows scored.*/\1/p' "$work/serve.log")
[ "${windows:-0}" -gt 0 ] || { echo "request_profile.sh: no window scored: $(tail -3 "$work/serve.log")" >&2; exit 1; }

echo "$windows windows; instructions per window (callgrind, inclusive):"
callgrind_annotate --inclusive=yes "$work/callgrind.out" 2>/dev/null | awk -v n="$windows" '
  function show(label, pattern) {
    for (i = 1; i <= rows; ++i) if (index(text[i], pattern)) { printf "  %-44s %9.0f\n", label, count[i] / n; return }
    printf "  %-44s %9s\n", label, "-"
  }
  /^ *[0-9,]+ +\(/ { line = $0; c = $1; gsub(",", "", c); ++rows; count[rows] = c; text[rows] = line }
  END {
    show("event-loop threads (all of a request)", "HttpServer::Loop::run()")
    show("  the handler: FleetMonitor::process_window", "FleetMonitor::process_window(")
    show("    reading the body: sample_json_parse", "sample_json_parse(")
    show("    features: window_features", "window_features(")
    show("    score: judge_features", "judge_features(")
    show("    verdict JSON: verdict_json", "verdict_json")
    show("    alarm state, events: FleetMonitor::record", "FleetMonitor::record(")
  }'
