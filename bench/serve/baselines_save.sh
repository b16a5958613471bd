#!/usr/bin/env bash
# baselines_save.sh: post latency while `serve --learn N --baselines FILE`
# saves a full table (issue 12 saw posts stall up to 1.4 s during saves).
# serve learns per device (no --model); DEVICES devices (default 10,000, the
# --max-devices default) get FILL windows each, then one client posts RATE
# windows/s to random ones of them for SECONDS, keeping the table dirty so it
# is saved every 10 s, and times every post (post_latency.py).
#   bench/serve/baselines_save.sh TINYAD_BINARY [SECONDS] [RATE] [DEVICES] [FILL]
set -euo pipefail
bin=$(realpath "${1:?usage: baselines_save.sh TINYAD_BINARY [SECONDS] [RATE] [DEVICES] [FILL]}")
secs=${2:-35}
rate=${3:-100}
devices=${4:-10000}
fill=${5:-1}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../common.sh"  # window_body, free_port
work=$(mktemp -d "${TMPDIR:-/tmp}/tinyad-baselines-save.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

"$bin" simulate -o "$work/sim" -n 2 --labels fan_0_low_0_weight >/dev/null
window_body "$work/sim/fan_0_low_0_weight/0001.csv" "$work/body.json"
port=$(free_port)
"$bin" serve --learn 64 --baselines "$work/baselines.json" -p "$port" --host 127.0.0.1 >"$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q "^listening on port" "$work/serve.log" && break; sleep 0.05; done
for _ in $(seq "$fill"); do /usr/bin/python3 "$here/post_latency.py" fill "$port" "$work/body.json" "$devices" >/dev/null; done
echo "$(date -u +%FT%TZ) $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg); $devices devices x $fill windows"
/usr/bin/python3 "$here/post_latency.py" measure "$port" "$work/body.json" "$devices" "$secs" "$rate" "$work/baselines.json"
