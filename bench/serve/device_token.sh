#!/usr/bin/env bash
# device_token.sh: what `serve --device-token-file` costs (issue 12: under 2 %
# of serve's HTTP rate). Two ways, in one run:
#  1. wrk A/B: two serve processes on the same model, one open and one that
#     checks X-Device-Token, loaded in alternating rounds with the firmware's
#     load (bench/serve/http_load.sh: 32 clients, a 200-reading window per
#     new connection). Rates on a shared machine move by more than 2 % from
#     round to round, so this shows the size of that noise as much as the cost.
#  2. the check itself in CPU time (tinyad_access_bench, Google Benchmark):
#     token configured minus none, as a share of one request's time at the
#     measured rate (1 / requests-per-second: the whole machine's time per
#     request, so the share is an upper bound).
#   bench/serve/device_token.sh BUILD_DIR [SECONDS] [ROUNDS]
set -euo pipefail
build=$(realpath "${1:?usage: device_token.sh BUILD_DIR [SECONDS] [ROUNDS]}")
secs=${2:-5}
rounds=${3:-4}
bin=$build/tinyad
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../common.sh"  # simulated_model, free_port
work=$(mktemp -d "${TMPDIR:-/tmp}/tinyad-device-token.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

simulated_model "$bin" "$work"
token=0123456789abcdef0123456789abcdef
echo "$token" >"$work/device-token"

start() {  # $1 name, rest: extra flags; prints the port
  local port name=$1
  shift
  port=$(free_port)
  "$bin" serve --model "$work/model.json" -p "$port" --host 127.0.0.1 "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 200); do grep -q "^listening on port" "$work/$name.log" && break; sleep 0.05; done
  echo "$port"
}
open_port=$(start open)
token_port=$(start token --device-token-file "$work/device-token")
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$work/body.json" \
  "http://127.0.0.1:$token_port/")
[ "$code" = 401 ] || { echo "device_token.sh: the token server answered $code without a token, not 401" >&2; exit 1; }

cat >"$work/post.lua" <<LUA
local f = assert(io.open("$work/body.json", "r"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Connection"] = "close"
wrk.headers["X-Device-Id"] = "bench-1"
wrk.headers["X-Device-Token"] = "$token"
LUA
load() {  # $1 port: requests/s; fails on any non-2xx reply
  local out non2xx
  out=$(wrk -t2 -c32 -d"${secs}s" -s "$work/post.lua" "http://127.0.0.1:$1/")
  non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: \([0-9]*\).*/\1/p' <<<"$out")
  [ -z "$non2xx" ] || { echo "device_token.sh: $non2xx non-2xx replies: $out" >&2; exit 1; }
  sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' <<<"$out"
}

echo "machine: $(nproc) cores, $(sed -n 's/^model name\t: //p' /proc/cpuinfo | head -1); $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
open_rates=() token_rates=()
for r in $(seq "$rounds"); do
  o=$(load "$open_port")
  t=$(load "$token_port")
  open_rates+=("$o")
  token_rates+=("$t")
  printf 'round %d: open %8.0f requests/s   --device-token-file %8.0f requests/s   (%+.1f %%)\n' \
    "$r" "$o" "$t" "$(awk -v o="$o" -v t="$t" 'BEGIN {print (t / o - 1) * 100}')"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
mo=$(median "${open_rates[@]}")
mt=$(median "${token_rates[@]}")
printf 'median: open %.0f, token %.0f requests/s (%+.1f %%)\n' "$mo" "$mt" "$(awk -v o="$mo" -v t="$mt" 'BEGIN {print (t / o - 1) * 100}')"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# The check alone, in CPU time.
"$build/bench/tinyad_access_bench" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  --benchmark_format=csv 2>/dev/null >"$work/bench.csv"
ns() { grep "^\"$1_median\"" "$work/bench.csv" | cut -d, -f4; }
open_ns=$(ns BM_AccessCheckOpen)
token_ns=$(ns BM_AccessCheckDeviceToken)
awk -v a="$open_ns" -v b="$token_ns" -v r="$mo" 'BEGIN {
  printf "access check (CPU, median of 5): no token %.1f ns, device token %.1f ns per request\n", a, b
  printf "the token check adds %.1f ns to a request that takes %.0f ns of the machine at %.0f requests/s: %.3f %%\n",
    b - a, 1e9 / r, r, (b - a) * r / 1e9 * 100 }'
