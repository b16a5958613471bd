#!/usr/bin/env bash
# mosquitto_fixture.sh start|stop DIR: the MQTT broker the MQTT tests use,
# started by ctest itself (fixture mqtt_broker), so `make test` needs no
# broker from outside. Debian's mosquitto on a free loopback port, anonymous,
# no persistence; DIR/url holds mqtt://127.0.0.1:PORT for the tests.
set -euo pipefail
cmd=${1:?usage: $0 start|stop DIR}
dir=${2:?usage: $0 start|stop DIR}
mosquitto=/usr/sbin/mosquitto

stop() {
  if [ -f "$dir/pid" ]; then
    kill "$(cat "$dir/pid")" 2>/dev/null || true
    rm -f "$dir/pid"
  fi
  rm -f "$dir/url"
}

case "$cmd" in
  stop) stop; exit 0 ;;
  start) ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac

[ -x "$mosquitto" ] || { echo "$mosquitto is missing: run scripts/deps.sh test (installs mosquitto)" >&2; exit 1; }
mkdir -p "$dir"
stop  # a broker left by an interrupted run
for attempt in 1 2 3; do
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$port" >"$dir/mosquitto.conf"
  # setsid: the broker outlives this script (ctest waits for the setup test
  # to end) and is stopped by the cleanup test through its pid.
  setsid "$mosquitto" -c "$dir/mosquitto.conf" >"$dir/mosquitto.log" 2>&1 </dev/null &
  echo $! >"$dir/pid"
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "mqtt://127.0.0.1:$port" >"$dir/url"
      echo "mosquitto on 127.0.0.1:$port (pid $(cat "$dir/pid"))"
      exit 0
    fi
    kill -0 "$(cat "$dir/pid")" 2>/dev/null || break  # it exited (port taken?): try another port
    sleep 0.05
  done
  stop
done
echo "mosquitto did not start: $(cat "$dir/mosquitto.log" 2>/dev/null)" >&2
exit 1
