#!/usr/bin/env bash
# connection_memory.sh: serve's resident memory per open connection and
# after connections close (issue 12 saw about 64 KB kept per closed
# connection, and 300 clients that never read /dashboard take 982 MB).
# serve runs with --timeout/--idle 120 so idle connections stay open while
# measured; stages and output: connection_memory.py.
#   bench/serve/connection_memory.sh TINYAD_BINARY [CONNECTIONS] [CYCLES]
set -euo pipefail
bin=$(realpath "${1:?usage: connection_memory.sh TINYAD_BINARY [CONNECTIONS] [CYCLES]}")
n=${2:-1000}
cycles=${3:-5}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../common.sh"  # simulated_model, free_port
work=$(mktemp -d "${TMPDIR:-/tmp}/tinyad-connection-memory.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
ulimit -n 65536 2>/dev/null || true

simulated_model "$bin" "$work"
port=$(free_port)
"$bin" serve --model "$work/model.json" -p "$port" --host 127.0.0.1 --timeout 120 --idle 120 >"$work/serve.log" 2>&1 &
pid=$!
pids+=("$pid")
for _ in $(seq 100); do grep -q "^listening on port" "$work/serve.log" && break; sleep 0.05; done
echo "$(date -u +%FT%TZ) $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg); $n connections, $cycles cycles"
/usr/bin/python3 "$here/connection_memory.py" "$pid" "$port" "$work/body.json" "$n" "$cycles"
