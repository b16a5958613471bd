#!/usr/bin/env bash
# nats_cluster_fixture.sh start|stop|kill|restart DIR [NODE]: a 3-node NATS
# cluster (Debian's nats-server 2.9) for `serve --nats` tests and benchmarks,
# on free loopback ports: JetStream (file store under DIR/nK/js) and an MQTT
# listener on every node, routes between all three, and the subject mapping
# that partitions the windows devices send over MQTT by device
# (tinyad/<device>/samples -> tinyad_in.<partition>.<device>, 16 partitions;
# docs/fleet.md). Writes DIR/nats_urls (nats://..,..,..), DIR/mqtt_ports
# (one port a line, node 1 first) and DIR/nK/pid.
#   kill N     kill -9 node N (1..3)      restart N   start node N again
set -euo pipefail
cmd=${1:?usage: $0 start|stop|kill|restart DIR [NODE]}
dir=${2:?usage: $0 start|stop|kill|restart DIR [NODE]}
node=${3:-}
server=/usr/sbin/nats-server
partitions=${TINYAD_NATS_PARTITIONS:-16}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

stop_node() {
  local n=$1 signal=${2:-TERM}
  if [ -f "$dir/n$n/pid" ]; then
    kill "-$signal" "$(cat "$dir/n$n/pid")" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$(cat "$dir/n$n/pid")" 2>/dev/null || break; sleep 0.05; done
    rm -f "$dir/n$n/pid"
  fi
}

start_node() {
  local n=$1
  # setsid: the server outlives this script (ctest waits for the setup test
  # to end); stopped through its pid.
  setsid "$server" -c "$dir/n$n/nats.conf" >>"$dir/n$n/nats.log" 2>&1 </dev/null &
  echo $! >"$dir/n$n/pid"
}

wait_port() {  # port, node: until it takes connections (false if the server exited)
  for _ in $(seq 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    kill -0 "$(cat "$dir/n$2/pid")" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# mqtt_ready PORT: one MQTT 3.1.1 CONNECT (client "warmup", clean session)
# until the CONNACK comes. The first MQTT client of a new cluster makes
# nats-server create its own replicated MQTT streams, which takes seconds;
# done here, the tests' clients connect at once. Refused (closed) while the
# cluster has no JetStream leader yet: tried again for up to 30 s.
mqtt_ready() {
  local reply deadline=$((SECONDS + 30))
  while [ $SECONDS -lt $deadline ]; do
    reply=$(timeout 10 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"
      printf "\x10\x12\x00\x04MQTT\x04\x02\x00\x3c\x00\x06warmup" >&3
      head -c 4 <&3 | od -An -tx1' _ "$1" 2>/dev/null) || true
    [ "$(echo $reply)" = "20 02 00 00" ] && return 0
    sleep 0.5
  done
  return 1
}

write_configs() {
  local client=() route=() mqtt=()
  for n in 1 2 3; do client+=("$(free_port)"); route+=("$(free_port)"); mqtt+=("$(free_port)"); done
  local routes="" urls=""
  for n in 0 1 2; do
    routes+="${routes:+, }\"nats-route://127.0.0.1:${route[$n]}\""
    urls+="${urls:+,}nats://127.0.0.1:${client[$n]}"
  done
  for n in 1 2 3; do
    mkdir -p "$dir/n$n/js"
    cat >"$dir/n$n/nats.conf" <<CONF
server_name: n$n
listen: 127.0.0.1:${client[$((n - 1))]}
jetstream { store_dir: "$dir/n$n/js", max_memory_store: 64MB, max_file_store: 1GB }
cluster {
  name: tinyad
  listen: 127.0.0.1:${route[$((n - 1))]}
  routes: [ ${routes} ]
}
mqtt { listen: 127.0.0.1:${mqtt[$((n - 1))]} }
# Devices publish tinyad/<device>/samples (subject tinyad.<device>.samples);
# this spreads devices over partitions by a hash of the device id, so one
# worker holds each device's state (docs/fleet.md).
mappings = { "tinyad.*.samples": "tinyad_in.{{partition(${partitions},1)}}.{{wildcard(1)}}" }
CONF
  done
  echo "$urls" >"$dir/nats_urls"
  printf '%s\n' "${mqtt[@]}" >"$dir/mqtt_ports"
}

case "$cmd" in
  stop) for n in 1 2 3; do stop_node $n; done; rm -f "$dir/nats_urls"; exit 0 ;;
  kill) stop_node "${node:?node 1..3}" KILL; exit 0 ;;
  restart)
    start_node "${node:?node 1..3}"
    port=$(sed -n "${node}p" "$dir/mqtt_ports")
    wait_port "$port" "$node" || { echo "node $node did not restart: $(tail -5 "$dir/n$node/nats.log")" >&2; exit 1; }
    exit 0 ;;
  start) ;;
  *) echo "usage: $0 start|stop|kill|restart DIR [NODE]" >&2; exit 2 ;;
esac

[ -x "$server" ] || { echo "$server is missing: run scripts/deps.sh test (installs nats-server)" >&2; exit 1; }
for n in 1 2 3; do stop_node $n; done  # a cluster left by an interrupted run
rm -rf "$dir"
mkdir -p "$dir"
write_configs
for n in 1 2 3; do start_node $n; done
ok=1
for n in 1 2 3; do
  port=$(sed -n "${n}p" "$dir/mqtt_ports")
  wait_port "$port" "$n" || { ok=0; echo "node $n did not start: $(tail -5 "$dir/n$n/nats.log")" >&2; }
done
if [ $ok = 1 ] && ! mqtt_ready "$(sed -n 1p "$dir/mqtt_ports")"; then
  ok=0
  echo "node 1 did not accept an MQTT connection within 30 s: $(tail -5 "$dir/n1/nats.log")" >&2
fi
if [ $ok = 1 ]; then
  echo "nats cluster: $(cat "$dir/nats_urls"), MQTT ports $(tr '\n' ' ' <"$dir/mqtt_ports")"
  exit 0
fi
for n in 1 2 3; do stop_node $n; done
exit 1
