#!/usr/bin/env bash
# run.sh: `tinyad serve --nats` throughput on a 3-node NATS JetStream cluster
# (tests/services/nats_cluster_fixture.sh: Debian's nats-server, loopback,
# free ports, 16 partitions), with 1, 2 and 3 workers, and the same with the
# streams, consumers and leases replicated 3 times (R3) and once (R1): what
# replication costs. A fresh cluster for each case. The load is
# bench/mqtt/mqtt_load.cpp in its serve mode: DEVICES emulated devices over
# MQTT to node 1, each with one window outstanding (publish, wait for the
# verdict, publish the next), WINDOWS windows of ~5.4 KB each.
#   bench/nats/run.sh TINYAD_BINARY MQTT_LOAD_BINARY [WINDOWS] [DEVICES]
# e.g. bench/nats/run.sh build/tinyad build/bench/tinyad_mqtt_load 6000 64
# Environment: SERVE_ARGS extra arguments for every worker (e.g. "--learn 80"
# or "--commission 30": the per-device baselines kept in the cluster);
# REPLICAS (default "3 1") and WORKERS (default "1 2 3") the cases to run;
# BODIES (default 1) distinct windows each device sends in turn (a baseline
# needs more distinct windows than the recipe has features: --learn 80 with
# BODIES=100).
set -euo pipefail
bin=$(realpath "${1:?usage: run.sh TINYAD_BINARY MQTT_LOAD_BINARY [WINDOWS] [DEVICES]}")
load=$(realpath "${2:?usage: run.sh TINYAD_BINARY MQTT_LOAD_BINARY [WINDOWS] [DEVICES]}")
windows=${3:-6000}
devices=${4:-64}
bodies=${BODIES:-1}
read -r -a serve_args <<<"${SERVE_ARGS:-}"
here=$(cd "$(dirname "$0")" && pwd)
fixture="$here/../../tests/services/nats_cluster_fixture.sh"
. "$here/../common.sh"  # window_body
export MQTT_LOAD_PROTOCOL=311  # nats-server's MQTT listener speaks 3.1.1 only
work=$(mktemp -d "${TMPDIR:-/tmp}/tinyad-nats-bench.XXXXXX")
workers=()
stop_workers() {
  for p in "${workers[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${workers[@]}"; do wait "$p" 2>/dev/null || true; done
  workers=()
}
cleanup() {
  stop_workers
  "$fixture" stop "$work/cluster" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

"$bin" simulate -o "$work/sim" -n $((bodies > 20 ? bodies : 20)) --seed 3 --labels fan_0_low_0_weight,fan_0_high_1_weight >/dev/null
window_body "$work/sim/fan_0_low_0_weight/0000.csv" "$work/body.json"
more=()
for i in $(seq 1 $((bodies - 1))); do
  window_body "$work/sim/fan_0_low_0_weight/$(printf %04d "$i").csv" "$work/body$i.json"
  more+=("$work/body$i.json")
done
if [ ${#more[@]} -gt 0 ]; then MQTT_LOAD_MORE_PAYLOADS=$(IFS=:; echo "${more[*]}"); export MQTT_LOAD_MORE_PAYLOADS; fi
"$bin" train --data "$work/sim" --normal fan_0_low_0_weight --anomaly fan_0_high_1_weight \
  -o "$work/model.json" >/dev/null

echo "payload: $(wc -c <"$work/body.json") bytes ($bodies distinct); devices: $devices; windows: $windows; serve args: ${SERVE_ARGS:-none}; $(/usr/sbin/nats-server --version)"
echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for replicas in ${REPLICAS:-3 1}; do
  for n in ${WORKERS:-1 2 3}; do
    "$fixture" start "$work/cluster" >/dev/null
    urls=$(cat "$work/cluster/nats_urls")
    mqtt_port=$(sed -n 1p "$work/cluster/mqtt_ports")
    t0=$(date +%s.%N)
    for i in $(seq "$n"); do
      "$bin" serve --model "$work/model.json" -p 0 --host 127.0.0.1 --nats "$urls" --nats-replicas "$replicas" \
        --nats-worker-id "w$i" ${serve_args[@]+"${serve_args[@]}"} >"$work/w$i.log" 2>&1 &
      workers+=($!)
      [ "$i" = 1 ] && { for _ in $(seq 600); do grep -q 'took partition' "$work/w1.log" && break; sleep 0.05; done; }
    done
    # Settled: every partition held once, none moving (two lease rounds quiet).
    for _ in $(seq 300); do
      held=$(cat "$work"/w*.log | grep -c 'took partition' || true)
      given=$(cat "$work"/w*.log | grep -c -e 'given to the other' -e 'lease lost' || true)
      [ $((held - given)) -ge 16 ] && break
      sleep 0.1
    done
    sleep 2
    setup=$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN { printf "%.1f", a - b }')
    # A short warm-up (consumers bound, first devices restored), then the run.
    "$load" serve 127.0.0.1 "$mqtt_port" "$devices" "$((devices * 4))" "$work/body.json" 20 >/dev/null || true
    echo "R$replicas, $n worker(s), set-up $setup s: $("$load" serve 127.0.0.1 "$mqtt_port" "$devices" "$windows" "$work/body.json" 20)"
    stop_workers
    "$fixture" stop "$work/cluster" >/dev/null
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
