#!/usr/bin/env bash
# e2e.sh: the CLI end to end on the real recordings, once with the x86-64
# tinyad and once with a cross-built one under qemu-user (no binfmt: the
# emulator is called by name with -L SYSROOT), and the outputs compared:
# `train` (Mahalanobis default and original recipes, autoencoder), `eval
# --json`, `score --json` on every 5th window of every label, and `serve`
# answering the same windows over HTTP. Verdicts, counts and strings must be
# equal, numbers within 1e-9 relative (scripts/cross/compare.py prints how
# many are bit-identical and the largest difference).
#
# Usage: scripts/cross/e2e.sh arm64|armhf HOST_TINYAD CROSS_TINYAD WORK_DIR
#   TINYAD_DATA     the real recordings (required; exit 77 = skipped without)
#   TINYAD_SYSROOT  the target's sysroot (default ~/.cache/tinyad/sysroot-ARCH)
# Exit: 0 all OK, 1 a difference, 77 (ctest's skip) when data or qemu is missing.
set -euo pipefail

arch=${1:-}
case $arch in
  arm64) qemu=qemu-aarch64-static ;;
  armhf) qemu=qemu-arm-static ;;
  *) echo "usage: $0 arm64|armhf HOST_TINYAD CROSS_TINYAD WORK_DIR" >&2; exit 2 ;;
esac
[ $# -eq 4 ] || { echo "usage: $0 arm64|armhf HOST_TINYAD CROSS_TINYAD WORK_DIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
host_bin=$(realpath "$2")
cross_bin=$(realpath "$3")
work=$(mkdir -p "$4" && realpath "$4")
sysroot=${TINYAD_SYSROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/tinyad/sysroot-$arch}

if [ -z "${TINYAD_DATA:-}" ] || [ ! -d "$TINYAD_DATA" ]; then
  echo "cross-e2e: SKIP: TINYAD_DATA does not name the real recordings" >&2
  exit 77
fi
command -v "$qemu" >/dev/null || { echo "cross-e2e: SKIP: $qemu is not installed (scripts/deps.sh test)" >&2; exit 77; }
[ -d "$sysroot/usr/lib" ] || { echo "cross-e2e: no sysroot at $sysroot (scripts/cross/sysroot.sh $arch)" >&2; exit 1; }
data=$(realpath "$TINYAD_DATA")
normal=fan_0_low_0_weight-moving
anomaly=fan_0_med_0_weight,fan_0_high_0_weight,fan_0_low_1_weight,fan_0_med_1_weight,fan_0_high_1_weight
compare=$here/compare.py
status=0

# Runs tinyad for side $1 (host or cross) with the remaining arguments.
# cmd_of SIDE: the command line that runs tinyad on that side, in ${cmd[@]}.
cmd_of() {
  if [ "$1" = host ]; then cmd=("$host_bin"); else cmd=("$qemu" -L "$sysroot" "$cross_bin"); fi
}
run() {
  local -a cmd
  cmd_of "$1"; shift
  "${cmd[@]}" "$@"
}
check() { "$compare" "$@" || status=1; }

# Every 5th window of every label (about 950 files).
mapfile -t windows < <(find "$data" -mindepth 2 -maxdepth 2 -name '*.csv' | sort | awk 'NR % 5 == 1')
# The serve check posts every 25th of those (about 40).
serve_windows=()
for ((i = 0; i < ${#windows[@]}; i += 25)); do serve_windows+=("${windows[i]}"); done

for side in host cross; do
  out=$work/$side
  rm -rf "$out" && mkdir -p "$out"
  start=$(date +%s%N)
  run $side train --data "$data" --normal $normal -o "$out/md-default.json" >/dev/null
  run $side train --data "$data" --normal $normal --recipe original -o "$out/md-original.json" >/dev/null
  run $side train --data "$data" --normal $normal --detector autoencoder --epochs 30 \
    -o "$out/ae.json" >/dev/null
  for m in md-default md-original ae; do
    # Each side's eval and score use the host's model, so a difference there
    # is the scoring's own, not carried over from training.
    run $side eval --model "$work/host/$m.json" --data "$data" --normal $normal --anomaly $anomaly \
      --json > "$out/eval-$m.json"
    run $side score --model "$work/host/$m.json" --json "${windows[@]}" > "$out/score-$m.jsonl"
  done
  # serve: the default model, one device, its answers and events.
  # Started as a plain command, not through run(): $! must be the server
  # itself (not a subshell around it) for the TERM below to stop it.
  cmd_of $side
  "${cmd[@]}" serve --model "$work/host/md-default.json" -p 0 --host 127.0.0.1 \
    --events "$out/events.jsonl" > "$out/serve.log" 2>&1 &
  pid=$!
  port=
  for _ in $(seq 1 300); do
    port=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$out/serve.log")
    [ -n "$port" ] && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$port" ]; then
    echo "cross-e2e: $side serve did not start:" >&2; cat "$out/serve.log" >&2
    kill $pid 2>/dev/null || true
    exit 1
  fi
  "$here/post_windows.py" "http://127.0.0.1:$port/" fan-1 "${serve_windows[@]}" > "$out/serve.jsonl" ||
    status=1
  kill -TERM $pid
  wait $pid || true
  ms=$((($(date +%s%N) - start) / 1000000))
  printf 'cross-e2e: %s side took %d.%03d s\n' "$side" $((ms / 1000)) $((ms % 1000))
done

echo "cross-e2e: $arch vs x86-64 on ${#windows[@]} windows ($((${#serve_windows[@]})) served):"
for m in md-default md-original ae; do
  # The model files: the same split and threshold rule, numbers within tolerance.
  check json --ignore dataset "train $m" "$work/host/$m.json" "$work/cross/$m.json"
  check json "eval $m" "$work/host/eval-$m.json" "$work/cross/eval-$m.json"
  check lines "score $m" "$work/host/score-$m.jsonl" "$work/cross/score-$m.jsonl"
done
check lines "serve" "$work/host/serve.jsonl" "$work/cross/serve.jsonl"
# Events carry times: compare their verdicts and alarms only.
for side in host cross; do
  /usr/bin/python3 -c 'import json,sys
for l in open(sys.argv[1]):
    e = json.loads(l); [e.pop(k, None) for k in ("t", "time", "ts", "timestamp")]; print(json.dumps(e, sort_keys=True))' \
    "$work/$side/events.jsonl" > "$work/$side/events-untimed.jsonl"
done
check lines "serve events" "$work/host/events-untimed.jsonl" "$work/cross/events-untimed.jsonl"
exit $status
