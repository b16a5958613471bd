#!/usr/bin/env bash
# foreign_data_50hz.sh: the worked example of docs/foreign-data.md. A 50 Hz
# simulated set, trained at its own rate and as if it were 200 Hz, each
# evaluated on the same anomaly labels.
# Usage: scripts/foreign_data_50hz.sh TINYAD_BINARY WORK_DIR
set -euo pipefail
tinyad=$1
work=$2
normal=fan_0_low_0_weight
anomaly=fan_0_med_0_weight,fan_0_high_0_weight,fan_0_off_0_weight,fan_0_low_1_weight
rm -rf "$work" && mkdir -p "$work"
"$tinyad" simulate -o "$work/data" --rate 50 -n 300 --seed 1 --labels "$normal,$anomaly"
for rate in 50 200; do
  echo "== train --rate $rate"
  "$tinyad" train --data "$work/data" --normal "$normal" --rate "$rate" -o "$work/m$rate.json"
  "$tinyad" eval --model "$work/m$rate.json" --data "$work/data" --normal "$normal" --anomaly "$anomaly"
done
