#!/usr/bin/env bash
# failure_test.sh: the NATS failure test (tests/nats_cluster_test.cpp,
# NatsCluster.*) on a fresh 3-node cluster, RUNS times, each with the load
# average before and after and the CPU time the three nats-server processes
# used (node 3 only since its restart).
#   bench/nats/failure_test.sh TESTS_BINARY [WINDOWS_PER_DEVICE] [RUNS]
# e.g. bench/nats/failure_test.sh build/tests/tinyad_tests 400 3
# TINYAD_NATS_TRACE=1 prints the run second by second and the workers' logs.
set -euo pipefail
tests=$(realpath "${1:?usage: failure_test.sh TESTS_BINARY [WINDOWS_PER_DEVICE] [RUNS]}")
per_device=${2:-400}
runs=${3:-1}
here=$(cd "$(dirname "$0")" && pwd)
fixture="$here/../../tests/services/nats_cluster_fixture.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/tinyad-nats-failure.XXXXXX")
trap '"$fixture" stop "$work/cluster" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
ticks() {  # CPU time of the running nats-server nodes, in clock ticks
  local sum=0 pid
  for n in 1 2 3; do
    pid=$(cat "$work/cluster/n$n/pid" 2>/dev/null) || continue
    [ -r "/proc/$pid/stat" ] && sum=$((sum + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$sum"
}
echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1); $(/usr/sbin/nats-server --version)"
for run in $(seq "$runs"); do
  "$fixture" start "$work/cluster" >/dev/null
  before=$(cut -d' ' -f1-3 /proc/loadavg)
  t0=$(ticks)
  status=0
  TINYAD_NATS_DIR="$work/cluster" TINYAD_NATS_WINDOWS_PER_DEVICE="$per_device" \
    "$tests" --gtest_filter='NatsCluster.*' >"$work/out.txt" 2>&1 || status=$?
  t1=$(ticks)
  grep -v -e '^\[ RUN\|^\[==\|^\[--\|^Note:\|^$' "$work/out.txt" || true
  echo "run $run: exit $status; load average before $before, after $(cut -d' ' -f1-3 /proc/loadavg);" \
    "nats-server CPU $(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", t / hz }') s"
  "$fixture" stop "$work/cluster" >/dev/null
done
