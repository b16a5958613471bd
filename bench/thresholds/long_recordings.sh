#!/usr/bin/env bash
# long_recordings.sh: the ceiling fan's moving session as a user with a few
# long recordings would bring it, for docs/foreign-data.md. The 299 windows
# of fan_0_low_0_weight-moving are joined, in file (time) order, into three
# CSV files of about 100 windows; the other labels are linked as they are.
# For split seeds 0-9: train the default recipe (cv-conformal 1 %) on the
# three files, eval on their held-out stretches, the med/high labels and the
# still session (--other-normal). Prints pooled held-out false alarms,
# other-session false alarms, the share of each anomaly label flagged
# (worst seed) and the thresholds.
#
#   bench/thresholds/long_recordings.sh TINYAD CEILING_FAN_DIR [WORK_DIR]
set -euo pipefail
TINYAD=$(realpath "$1")
FAN=$(realpath "$2")
WORK=${3:-$(mktemp -d)}
NORMAL=fan_0_low_0_weight-moving
ANOMALY=fan_0_med_0_weight,fan_0_high_0_weight,fan_0_med_1_weight,fan_0_high_1_weight
DATA="$WORK/long"
rm -rf "$DATA"
mkdir -p "$DATA/$NORMAL"
for label in ${ANOMALY//,/ } fan_0_low_0_weight; do ln -s "$FAN/$label" "$DATA/$label"; done
files=("$FAN/$NORMAL"/*.csv)
n=${#files[@]}
for k in 0 1 2; do
  for ((i = k * n / 3; i < (k + 1) * n / 3; i++)); do cat "${files[$i]}"; done >"$DATA/$NORMAL/rec$k.csv"
done
for seed in 0 1 2 3 4 5 6 7 8 9; do
  "$TINYAD" train --data "$DATA" --normal "$NORMAL" --seed "$seed" -o "$WORK/m$seed.json" >/dev/null 2>&1
  "$TINYAD" eval --json --model "$WORK/m$seed.json" --data "$DATA" --normal "$NORMAL" --anomaly "$ANOMALY" \
    --other-normal fan_0_low_0_weight >"$WORK/e$seed.json" 2>/dev/null
done
/usr/bin/python3 - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
fa = [0, 0]; other = [0, 0]; det = {}; thresholds = []
for seed in range(10):
    e = json.load(open(f"{work}/e{seed}.json"))
    fa[0] += e["false_alarms"]["k"]; fa[1] += e["false_alarms"]["n"]
    thresholds.append(round(e["threshold"]))
    for label, r in e["per_label"].items():
        if r["normal"]:
            continue
        d = det.setdefault(label, [0, 0, 100.0])
        d[0] += r["flagged"]; d[1] += r["n"]; d[2] = min(d[2], 100 * r["flagged"] / r["n"])
    for r in e["other_normal"]:
        other[0] += r["flagged"]; other[1] += r["n"]
print(f"held-out false alarms {fa[0]}/{fa[1]} = {100 * fa[0] / fa[1]:.2f} %")
print(f"other session (fan_0_low_0_weight) {other[0]}/{other[1]} = {100 * other[0] / other[1]:.2f} %")
for label, (k, n, worst) in sorted(det.items()):
    print(f"{label}: {100 * k / n:.1f} % flagged (worst seed {worst:.1f} %)")
print("thresholds", thresholds)
PY
