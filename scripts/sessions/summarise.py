"""summarise.py: means over split seeds of the `tinyad eval --json` files that
recheck_recipe.sh writes (DIR/NAME-SEED.eval.json); one markdown table row per
feature set: detection per anomaly label, held-out false alarms, false alarms
on the other normal session, and the worst seed of each false-alarm rate."""
import glob
import json
import os
import re
import sys

SHORT = {"fan_0_med_0_weight": "med_0", "fan_0_high_0_weight": "high_0", "fan_0_med_1_weight": "med_1",
         "fan_0_high_1_weight": "high_1", "fan_0_low_1_weight": "low_1"}


def main():
    d = sys.argv[1]
    sets = [a.split("=", 1) for a in sys.argv[2:]]
    cols = list(SHORT.values())
    print("| set | features | " + " | ".join(f"{c} det %" for c in cols) +
          " | test FA % (max) | other-session FA % (max) | min AUC med/high | AUC low_1 |")
    print("|" + "---|" * (len(cols) + 6))
    for name, groups in sets:
        # NAME-SEED exactly: "default" must not take "default-rel" runs.
        pat = re.compile(re.escape(name) + r"-[0-9]+\.eval\.json$")
        runs = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(d, "*.eval.json")))
                if pat.match(os.path.basename(p))]
        det = {c: [] for c in cols}
        fa, other, auc1, auc_speed = [], [], [], []
        for r in runs:
            for label, short in SHORT.items():
                l = r["per_label"][label]
                det[short].append(100.0 * l["flagged"] / l["n"])
            auc1.append(r["per_label"]["fan_0_low_1_weight"]["auc"])
            auc_speed.append(min(r["per_label"][l]["auc"] for l in SHORT if "low" not in l))
            fa.append(100.0 * r["fpr"])
            other.append(100.0 * r["other_normal"][0]["rate"])
        mean = lambda v: sum(v) / len(v)
        print(f"| {name} ({len(runs)} seeds) | {groups} | " + " | ".join(f"{mean(det[c]):.1f}" for c in cols) +
              f" | {mean(fa):.1f} ({max(fa):.1f}) | {mean(other):.1f} ({max(other):.1f}) | {min(auc_speed):.3f}"
              f" | {mean(auc1):.2f} |")


if __name__ == "__main__":
    main()
