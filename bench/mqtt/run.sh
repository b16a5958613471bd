#!/usr/bin/env bash
# run.sh: `tinyad serve --mqtt` throughput against the broker's own ceiling,
# in one run on one Debian mosquitto (loopback, free port, no persistence):
#   (a) echo   plain publisher -> mosquitto -> plain subscriber, QoS 1
#   (b) serve  publisher -> mosquitto -> two `tinyad serve --mqtt` processes,
#              --mqtt-partition 0/2 and 1/2 (each takes its half of the devices)
#              -> verdicts -> load client
#   (c) loss   one long serve run counting lost and duplicated verdicts
# Payload: one simulated 200-reading window as the firmware's JSON (~5.4 KB).
# The load client (mqtt_load.cpp) runs DEVICES emulated devices, each with one
# window outstanding (publish, wait for the answer, publish the next).
#   bench/mqtt/run.sh TINYAD_BINARY MQTT_LOAD_BINARY [WINDOWS] [ROUNDS] [LOSS_WINDOWS] [DEVICES]
# e.g. bench/mqtt/run.sh build/tinyad build/bench/tinyad_mqtt_load 30000 3 100000 256
set -euo pipefail
bin=$(realpath "${1:?usage: run.sh TINYAD_BINARY MQTT_LOAD_BINARY [WINDOWS] [ROUNDS] [LOSS_WINDOWS] [DEVICES]}")
load=$(realpath "${2:?usage: run.sh TINYAD_BINARY MQTT_LOAD_BINARY ...}")
windows=${3:-30000}
rounds=${4:-3}
loss_windows=${5:-100000}
devices=${6:-256}
. "$(cd "$(dirname "$0")" && pwd)/../common.sh"  # window_body, free_port
work=$(mktemp -d "${TMPDIR:-/tmp}/tinyad-mqtt-bench.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The payload (as bench/collect/load.sh) and a model trained on simulated data.
"$bin" simulate -o "$work/sim" -n 20 --seed 3 --labels fan_0_low_0_weight,fan_0_high_1_weight >/dev/null
window_body "$work/sim/fan_0_low_0_weight/0000.csv" "$work/body.json"
"$bin" train --data "$work/sim" --normal fan_0_low_0_weight --anomaly fan_0_high_1_weight \
  -o "$work/model.json" >/dev/null

port=$(free_port)
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$port" >"$work/mosquitto.conf"
/usr/sbin/mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done

echo "payload: $(wc -c <"$work/body.json") bytes; devices: $devices; mosquitto $(/usr/sbin/mosquitto -h | sed -n 's/^mosquitto version //p' | head -1) on 127.0.0.1:$port"
echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$rounds"); do
  echo "(a) broker round $r: $("$load" echo 127.0.0.1 "$port" "$devices" "$windows" "$work/body.json" 10)"
done

serve_pids=()
for i in 1 2; do
  "$bin" serve --model "$work/model.json" -p 0 --host 127.0.0.1 --mqtt "mqtt://127.0.0.1:$port" \
    --mqtt-client-id "bench-serve-$i" --mqtt-partition "$((i - 1))/2" >"$work/serve-$i.log" 2>&1 &
  pids+=($!)
  serve_pids+=($!)
done
for i in 1 2; do
  for _ in $(seq 200); do grep -q '^mqtt: connected' "$work/serve-$i.log" && break; sleep 0.05; done
  grep '^mqtt: connected' "$work/serve-$i.log" || { cat "$work/serve-$i.log" >&2; exit 1; }
done
for r in $(seq "$rounds"); do
  echo "(b) two serve processes round $r: $("$load" serve 127.0.0.1 "$port" "$devices" "$windows" "$work/body.json" 10)"
done
echo "(c) loss run: $("$load" serve 127.0.0.1 "$port" "$devices" "$loss_windows" "$work/body.json" 10)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
# CPU time each process used over the whole run (user + system), to see what limits (b).
cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$1/stat"; }
echo "cpu seconds: mosquitto $(cpu "${pids[0]}"), serve 1 $(cpu "${serve_pids[0]}"), serve 2 $(cpu "${serve_pids[1]}")"
for p in "${serve_pids[@]}"; do kill -TERM "$p"; wait "$p" || true; done
for i in 1 2; do echo "serve $i: $(grep '^mqtt: stopped' "$work/serve-$i.log")"; done
