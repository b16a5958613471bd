#!/bin/sh
# recheck_recipe.sh: re-checks feature sets for session drift on the ceiling
# fan (docs/sessions.md): per set and split seed, `tinyad train` on the moving
# normal session, then `tinyad eval --json` on its held-out test split with the
# anomaly labels and the still normal session as --other-normal. Prints one
# TSV row per set (means over seeds) via summarise.py.
# Usage: [TRAIN_ARGS=...] scripts/sessions/recheck_recipe.sh [TINYAD [DATA [SEEDS]]]
# The threshold is `train`'s default (cv-conformal:0.01 since 2026-12-03);
# TRAIN_ARGS='--threshold 3.5*median' gives the rule of the first measurement.
set -euf  # -f: TRAIN_ARGS may hold a * (3.5*median)
TINYAD=${1:-build/tinyad}
DATA=${2:-/work/shared/datasets/ceiling-fan}
SEEDS=${3:-"0 1 2 3 4 5 6 7 8 9"}
NORMAL=fan_0_low_0_weight-moving
OTHER=fan_0_low_0_weight
ANOMALY=fan_0_med_0_weight,fan_0_high_0_weight,fan_0_med_1_weight,fan_0_high_1_weight,fan_0_low_1_weight
HERE=$(dirname "$0")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# name:groups (comma-separated, as `train --features` takes them)
SETS="default:mad,kurt,crest,corr,bands
bands_rel:bands_rel
default-rel:mad,kurt,crest,corr,bands_rel
default+rel:mad,kurt,crest,corr,bands,bands_rel
mad-rel:mad,bands_rel
mad-shape-rel:mad,kurt,crest,bands_rel
shape-rel:kurt,crest,corr,bands_rel
shape-rel-nocorr:kurt,crest,bands_rel
skew-shape-rel:skew,kurt,crest,bands_rel
analyze-pick:bands_rel,mad,skew,crest"

echo "$SETS" | while IFS=: read -r name groups; do
  for seed in $SEEDS; do
    "$TINYAD" train --data "$DATA" --normal "$NORMAL" --features "$groups" --seed "$seed" ${TRAIN_ARGS:-} \
      -o "$TMP/$name-$seed.json" >/dev/null
    "$TINYAD" eval --model "$TMP/$name-$seed.json" --data "$DATA" --normal "$NORMAL" --anomaly "$ANOMALY" \
      --other-normal "$OTHER" --json >"$TMP/$name-$seed.eval.json" 2>/dev/null
  done
done
/usr/bin/python3 "$HERE/summarise.py" "$TMP" $(echo "$SETS" | while IFS=: read -r n g; do printf '%s=%s ' "$n" "$g"; done)
