#!/usr/bin/env bash
# run.sh: `tinyad serve --mqtt` throughput against the broker's own ceiling,
# side by side in one run on one Debian mosquitto (loopback, free port, no
# persistence), each serve round right after a broker round:
#   (a)  echo   plain publisher -> mosquitto -> plain subscriber, QoS 1: the
#               broker's own pub->sub ceiling for this payload
#   (b1) serve  publisher -> mosquitto -> one `tinyad serve --mqtt` -> verdicts
#               -> load client
#   (b2) serve  the same with two processes, --mqtt-partition 0/2 and 1/2
#               (each takes its half of the devices; the broker sends every
#               window to both)
#   (c)  loss   one long (b2) run counting lost and duplicated verdicts
# serve runs as in production (persistent session: clean start off, QoS 1),
# with a session expiry of 1 s so that a process's session does not go on
# collecting the next phase's windows after it stopped (the expiry only
# matters after a disconnect).
# Payload: one simulated 200-reading window as the firmware's JSON (~5.4 KB).
# The load client (mqtt_load.cpp) runs DEVICES emulated devices, each with one
# window outstanding (publish, wait for the answer, publish the next).
#   bench/mqtt/run.sh TINYAD_BINARY MQTT_LOAD_BINARY [WINDOWS] [ROUNDS] [LOSS_WINDOWS] [DEVICES]
# e.g. bench/mqtt/run.sh build/tinyad build/bench/tinyad_mqtt_load 30000 3 100000 256
# MQTT_VERDICT=features|score (environment, default features): serve's
# --mqtt-verdict (score leaves the 60 features out of each verdict).
# MQTT_MAX_QUEUED (default 100000): the broker's max_queued_messages.
# MQTT_PERSIST=1: the broker saves its sessions to disk on every change.
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
# max_queued_messages: under --mqtt-partition every process gets every
# window, so one that is descheduled for a moment falls behind by the whole
# fleet's rate; mosquitto's default (1000 queued per client) then drops
# windows, its own devices' included (docs/fleet.md).
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages %s\n' \
  "$port" "${MQTT_MAX_QUEUED:-100000}" >"$work/mosquitto.conf"
# MQTT_PERSIST=1: the broker set-up docs/fleet.md recommends (saved on every
# change), to see what it costs; the last "persistence" line wins.
if [ "${MQTT_PERSIST:-0}" = 1 ]; then
  # mosquitto run as root drops to its own user: it must reach and write the folder
  chmod 711 "$work" && mkdir -p "$work/store" && chmod 777 "$work/store"
  printf 'persistence true\npersistence_location %s/\nautosave_on_changes true\nautosave_interval 1\n' \
    "$work/store" >>"$work/mosquitto.conf"
fi
/usr/sbin/mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done

verdict=${MQTT_VERDICT:-features}
echo "payload: $(wc -c <"$work/body.json") bytes; devices: $devices; --mqtt-verdict $verdict; broker persistence ${MQTT_PERSIST:-0}; mosquitto $(/usr/sbin/mosquitto -h | sed -n 's/^mosquitto version //p' | head -1) on 127.0.0.1:$port"
echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1); $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$1/stat"; }

# start_serve N: N serve processes, --mqtt-partition i/N, waits until each subscribed.
serve_pids=()
start_serve() {
  local n=$1 i
  serve_pids=()
  for i in $(seq 0 $((n - 1))); do
    "$bin" serve --model "$work/model.json" -p 0 --host 127.0.0.1 --mqtt "mqtt://127.0.0.1:$port" \
      --mqtt-client-id "bench-serve-$i-of-$n" --mqtt-partition "$i/$n" --mqtt-session-expiry 1 \
      --mqtt-verdict "$verdict" >"$work/serve-$i-of-$n.log" 2>&1 &
    pids+=($!)
    serve_pids+=($!)
  done
  for i in $(seq 0 $((n - 1))); do
    for _ in $(seq 200); do grep -q '^mqtt: connected' "$work/serve-$i-of-$n.log" && break; sleep 0.05; done
    grep '^mqtt: connected' "$work/serve-$i-of-$n.log" || { cat "$work/serve-$i-of-$n.log" >&2; exit 1; }
  done
}
# stop_serve N: SIGTERM (answer what was received), their CPU seconds and last line.
stop_serve() {
  local n=$1 i=0 p
  for p in "${serve_pids[@]}"; do
    echo "serve $i/$n: $(cpu "$p") cpu seconds"
    kill -TERM "$p"
    wait "$p" || true
    echo "serve $i/$n: $(grep '^mqtt: stopped' "$work/serve-$i-of-$n.log")"
    grep -E '^mqtt: (connection|reconnect|cannot)' "$work/serve-$i-of-$n.log" | sed "s|^|serve $i/$n: |" || true
    i=$((i + 1))
  done
  sleep 2  # the sessions expire (1 s) before the next phase publishes
}
# rounds LABEL: ROUNDS pairs of (a) then serve; then the two rates over all
# rounds (windows / summed seconds) and serve's as a fraction of the broker's.
secs() { sed -n 's/.* seconds=\([0-9.]*\).*/\1/p' <<<"$1"; }
rounds() {
  local label=$1 r a b sa=0 sb=0
  for r in $(seq "$rounds"); do
    a=$("$load" echo 127.0.0.1 "$port" "$devices" "$windows" "$work/body.json" 10)
    echo "(a)  broker round $r: $a"
    b=$("$load" serve 127.0.0.1 "$port" "$devices" "$windows" "$work/body.json" 10)
    echo "($label) serve round $r: $b"
    sa=$(awk -v x="$sa" -v y="$(secs "$a")" 'BEGIN {print x + y}')
    sb=$(awk -v x="$sb" -v y="$(secs "$b")" 'BEGIN {print x + y}')
  done
  awk -v n=$((rounds * windows)) -v r="$rounds" -v sa="$sa" -v sb="$sb" -v l="$label" 'BEGIN {
    printf "(%s) %d rounds together: broker %.0f/s, serve %.0f/s, serve/broker %.2f\n", l, r, n / sa, n / sb, sa / sb }'
}

start_serve 1
rounds b1
stop_serve 1
start_serve 2
rounds b2
echo "(c)  loss run: $("$load" serve 127.0.0.1 "$port" "$devices" "$loss_windows" "$work/body.json" 10)"
stop_serve 2
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "mosquitto: $(cpu "${pids[0]}") cpu seconds over the whole run"
# What the broker said about dropped messages or expired sessions, if anything.
grep -E 'dropped|Expiring|rror|arning' "$work/mosquitto.log" | sed 's/^/mosquitto: /' | head -20 || true
