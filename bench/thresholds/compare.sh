#!/usr/bin/env bash
# compare.sh: threshold rules at equal footing, for docs/thresholds.md.
# For the ceiling fan's original protocol and a simulated dataset, each
# recipe (default, original), rule and split seed 0-9: train on
# fan_0_low_0_weight-moving, read the held-out test metrics from the model
# file, then score fan_0_low_0_weight (another recording session) on its
# own. Prints one markdown table per dataset (aggregate.py).
#
#   bench/thresholds/compare.sh TINYAD CEILING_FAN_DIR [WORK_DIR]
#   RULES="cv-conformal:0.01 cv-conformal:0.01/4" bench/thresholds/compare.sh ...   (only these rules)
#   TRAIN_ARGS="--shrinkage ledoit-wolf" SEEDS="10 11 12" DATASETS=fan RECIPES=default bench/thresholds/compare.sh ...
#
# Rules: 3.5*median (the default until 2026-12), mean+3sd (the original notebook's),
# split-conformal at P = 0.01 (with fewer than 99 validation
# windows the largest validation score, P = 1/(n+1), as `train` does) and
# conformal at P = 0.05, and cv-conformal (out-of-fold scores of the train +
# validation windows, `train --false-alarms P --calibration cv`) at P = 0.01
# and 0.05 with the default 4 folds; RULE/K (e.g. cv-conformal:0.01/10)
# asks for K folds.
set -euo pipefail
set -f  # rules such as 3.5*median are not file patterns
TINYAD=$(realpath "$1")
FAN=$(realpath "$2")
WORK=${3:-$(mktemp -d)}
HERE=$(cd "$(dirname "$0")" && pwd)
NORMAL=fan_0_low_0_weight-moving
OTHER=fan_0_low_0_weight
ANOMALY=fan_0_med_0_weight,fan_0_high_0_weight,fan_0_low_1_weight,fan_0_med_1_weight,fan_0_high_1_weight
mkdir -p "$WORK"

SIM="$WORK/sim"
if [ ! -d "$SIM" ]; then
  # 1000 windows per label: 200 validation windows, enough for P = 0.01.
  "$TINYAD" simulate -o "$SIM" -n 1000 --seed 1 --labels "$NORMAL,$OTHER,$ANOMALY" >/dev/null
fi

for dataset in ${DATASETS:-fan sim}; do
  data=$FAN; [ "$dataset" = sim ] && data=$SIM
  for recipe in ${RECIPES:-default original}; do
    for seed in ${SEEDS:-0 1 2 3 4 5 6 7 8 9}; do
      # The validation size of this split sets the smallest conformal P.
      probe="$WORK/$dataset-$recipe-$seed-probe.json"
      "$TINYAD" train --data "$data" --normal $NORMAL --recipe $recipe --seed $seed --threshold 1 -o "$probe" >/dev/null
      nval=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['provenance']['n_validation'])" "$probe")
      p01=$(/usr/bin/python3 -c "import sys; n=int(sys.argv[1]); print('%.10g' % max(0.01, 1/(n+1)))" "$nval")
      for rule in ${RULES:-"3.5*median" "mean+3sd" "conformal:$p01" "conformal:0.05" "cv-conformal:0.01" "cv-conformal:0.05"}; do
        [ "$rule" = conformal:0.01 ] && rule="conformal:$p01"
        name=$rule; case $rule in conformal:0.05) ;; conformal:*) name="conformal:0.01" ;; esac
        folds=10; case $rule in */*) folds=${rule#*/}; rule=${rule%/*} ;; esac
        tag="$dataset|$recipe|$name|$seed"
        m="$WORK/$(echo "$tag" | tr '|:*+/' '_____').json"
        "$TINYAD" train --data "$data" --normal $NORMAL --anomaly $ANOMALY --recipe $recipe --seed $seed \
          --threshold "$rule" --cv-folds $folds ${TRAIN_ARGS:-} -o "$m" >/dev/null 2>&1
        other=$("$TINYAD" eval --model "$m" --data "$data" --normal $OTHER --json 2>/dev/null)
        echo "$tag|$m|$other"
      done
    done
  done
done >"$WORK/runs.txt"
/usr/bin/python3 "$HERE/aggregate.py" "$WORK/runs.txt"
