#!/usr/bin/env bash
# http_load.sh: `tinyad serve` against nginx under the firmware's load, in
# the same run: 32 clients at a time, each request a 200-reading window POST
# on a new TCP connection (Connection: close), as the boards send them.
#   bench/serve/http_load.sh TINYAD_BINARY [SECONDS] [ROUNDS]
# SERVE_ARGS (environment): more flags for serve, e.g. "--threads 1".
# nginx (Debian's, one worker) answers a fixed reply of the verdict's size
# after reading the same body (`return` reads and discards it): the ceiling
# for this load on this machine, with no work behind the reply. tinyad parses
# the body, computes the `default` recipe's 60 features, scores and debounces.
# wrk (2 threads) runs on the same two cores as the server. Rounds alternate
# nginx and tinyad; each prints requests/s, p50/p99 latency, errors and the
# server's own CPU time per request (from /proc: comparable even when other
# work shares the machine), then the round's tinyad/nginx ratio; the end
# prints every ratio and their median.
set -euo pipefail
bin=$(realpath "${1:?usage: http_load.sh TINYAD_BINARY [SECONDS] [ROUNDS]}")
secs=${2:-5}
rounds=${3:-3}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../common.sh"  # simulated_model, free_port
nginx=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx" ] || { echo "http_load.sh: nginx not found (scripts/deps.sh test installs nginx-light)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/tinyad-http-load.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# A model trained on simulated windows (no dataset needed), and one normal
# window as the firmware's JSON body.
simulated_model "$bin" "$work"

# tinyad on its port, and one verdict to give nginx a reply of the same size.
tport=$(free_port)
"$bin" serve --model "$work/model.json" -p "$tport" --host 127.0.0.1 ${SERVE_ARGS:-} >"$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q "^listening on port" "$work/serve.log" && break; sleep 0.05; done
verdict=$(curl -s -H 'Content-Type: application/json' --data-binary @"$work/body.json" "http://127.0.0.1:$tport/")
[ -n "$verdict" ] || { echo "http_load.sh: tinyad serve did not answer: $(cat "$work/serve.log")" >&2; exit 1; }

nport=$(free_port)
mkdir -p "$work/nginx-tmp"
cat >"$work/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx-tmp/body;
  proxy_temp_path $work/nginx-tmp/proxy;
  fastcgi_temp_path $work/nginx-tmp/fastcgi;
  uwsgi_temp_path $work/nginx-tmp/uwsgi;
  scgi_temp_path $work/nginx-tmp/scgi;
  server {
    listen 127.0.0.1:$nport;
    client_max_body_size 1m;
    client_body_buffer_size 16k;
    location / {
      default_type application/json;
      return 200 '$verdict';
    }
  }
}
EOF
"$nginx" -c "$work/nginx.conf" -p "$work" 2>>"$work/nginx-error.log" &
pids+=($!)
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$nport/" && break; sleep 0.05; done

# CPU seconds (user + system) a process and its children threads used so far,
# in clock ticks: what each server spent, whatever else ran on the machine.
cpu_ticks() {  # $1 pid
  awk '{print $14 + $15}' "/proc/$1/stat"
}
user_ticks() {  # $1 pid: the user-space part (the rest is the kernel's TCP work)
  awk '{print $14}' "/proc/$1/stat"
}

# CPU of this script's finished children (wrk, mostly; the kernel counts
# what a process's waited-for children and their children used).
children_ticks() {
  awk '{print $16 + $17}' "/proc/$$/stat"
}

# One round of one server: prints its line and sets RPS and CPU_US (server
# CPU microseconds per request); the client's (wrk's) CPU per request too.
load() {  # $1 name, $2 port, $3 pid of the process doing the work
  local out p50 p99 non2xx errors requests c0 c1 u0 u1 w0 w1 wrk_us user_us
  w0=$(children_ticks)
  c0=$(cpu_ticks "$3")
  u0=$(user_ticks "$3")
  out=$(TINYAD_BODY="$work/body.json" wrk -t2 -c32 -d"${secs}s" --latency -s "$here/../collect/post_window.lua" \
    "http://127.0.0.1:$2/")
  c1=$(cpu_ticks "$3")
  u1=$(user_ticks "$3")
  w1=$(children_ticks)
  RPS=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' <<<"$out")
  requests=$(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' <<<"$out")
  CPU_US=$(awk -v c="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" -v n="$requests" 'BEGIN {printf "%.1f", c / hz * 1e6 / n}')
  user_us=$(awk -v c="$((u1 - u0))" -v hz="$(getconf CLK_TCK)" -v n="$requests" 'BEGIN {printf "%.1f", c / hz * 1e6 / n}')
  wrk_us=$(awk -v c="$((w1 - w0))" -v hz="$(getconf CLK_TCK)" -v n="$requests" 'BEGIN {printf "%.1f", c / hz * 1e6 / n}')
  p50=$(sed -n 's/^ *50% *\([0-9.]*[a-z]*\).*/\1/p' <<<"$out")
  p99=$(sed -n 's/^ *99% *\([0-9.]*[a-z]*\).*/\1/p' <<<"$out")
  non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: \([0-9]*\).*/\1/p' <<<"$out")
  errors=$(sed -n 's/.*Socket errors: \(.*\)/\1/p' <<<"$out")
  printf '%-7s %8.0f requests/s  p50 %-8s p99 %-8s server CPU %6s us/request (user %s)  wrk CPU %6s us/request  non-2xx %s  socket errors: %s\n' \
    "$1" "$RPS" "$p50" "$p99" "$CPU_US" "$user_us" "$wrk_us" "${non2xx:-0}" "${errors:-none}"
}

# nginx's worker (the master only waits); tinyad serve is one process.
nginx_worker=$(pgrep -P "${pids[1]}" | head -1)
[ -n "$nginx_worker" ] || { echo "http_load.sh: no nginx worker process" >&2; exit 1; }

echo "machine: $(nproc) cores, $(sed -n 's/^model name\t: //p' /proc/cpuinfo | head -1); $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "body: $(wc -c <"$work/body.json") bytes; reply: ${#verdict} bytes; $secs s per round"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
ratios=()
for r in $(seq "$rounds"); do
  echo "round $r (load average $(cut -d' ' -f1 /proc/loadavg)):"
  load nginx "$nport" "$nginx_worker"
  nginx_rps=$RPS
  load tinyad "$tport" "${pids[0]}"
  ratio=$(awk -v t="$RPS" -v n="$nginx_rps" 'BEGIN {printf "%.3f", t / n}')
  ratios+=("$ratio")
  echo "ratio   tinyad / nginx = $ratio"
done
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}')
echo "ratios: ${ratios[*]}; median $median"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
kill -TERM "${pids[0]}"
wait "${pids[0]}" || true
tail -1 "$work/serve.log"
