#!/usr/bin/env bash
# baseline_size.sh: how many bytes one device's baseline adds to its stored
# batch under `serve --nats --learn/--commission` (docs/fleet.md): a plain
# `serve` with --baselines is fed one device's distinct simulated normal
# windows over HTTP, and the device's line of the file (the same JSON entry
# DeviceBaselines::device_state_text wraps) is measured after each count.
#   bench/nats/baseline_size.sh TINYAD_BINARY "--learn 80" 40 90 120
set -euo pipefail
bin=$(realpath "${1:?usage: baseline_size.sh TINYAD_BINARY SERVE_ARGS COUNT...}")
args=${2:?usage: baseline_size.sh TINYAD_BINARY SERVE_ARGS COUNT...}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../common.sh"  # window_body, free_port
work=$(mktemp -d "${TMPDIR:-/tmp}/tinyad-baseline-size.XXXXXX")
pid=
cleanup() {
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
"$bin" simulate -o "$work/sim" -n 150 --seed 3 --labels fan_0_low_0_weight,fan_0_high_1_weight >/dev/null
"$bin" train --data "$work/sim" --normal fan_0_low_0_weight --anomaly fan_0_high_1_weight \
  -o "$work/model.json" >/dev/null 2>&1
for count in "$@"; do
  port=$(free_port)
  rm -f "$work/b.json"
  read -r -a extra <<<"$args"
  "$bin" serve --model "$work/model.json" "${extra[@]}" --baselines "$work/b.json" -p "$port" --host 127.0.0.1 \
    >"$work/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do grep -q 'listening on port' "$work/serve.log" && break; sleep 0.05; done
  for i in $(seq 0 $((count - 1))); do
    window_body "$work/sim/fan_0_low_0_weight/$(printf %04d $((i % 150))).csv" "$work/w.json"
    curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' -H 'X-Device-Id: d1' \
      --data-binary @"$work/w.json" "http://127.0.0.1:$port/"
  done
  kill -TERM "$pid"
  wait "$pid" || true
  pid=
  line=$(grep '^  "d1": ' "$work/b.json")
  phase=$(echo "$line" | sed -n 's/.*"phase":"\([a-z]*\)".*/\1/p')
  echo "$args after $count windows: $phase, $(( ${#line} - 8 )) bytes"
done
