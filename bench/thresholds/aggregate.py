#!/usr/bin/python3
"""aggregate.py RUNS: the tables of docs/thresholds.md from compare.sh's runs.
Each run line is dataset|recipe|rule|seed|model.json|eval-json-of-the-other-session.
Counts are pooled over the 10 split seeds; the held-out test windows of
different seeds overlap (one recording), so the pooled interval is a
summary, not an independent-sample interval: the per-seed column says in
how many seeds the seed's own 95 % interval excludes the rule's P."""
import collections
import json
import sys

from scipy.stats import beta


def cp(k, n, level=0.95):
    a = 1 - level
    lo = 0.0 if k == 0 else beta.ppf(a / 2, k, n - k + 1)
    hi = 1.0 if k == n else beta.ppf(1 - a / 2, k + 1, n - k)
    return lo, hi


LABELS = ["fan_0_med_0_weight", "fan_0_high_0_weight", "fan_0_med_1_weight", "fan_0_high_1_weight",
          "fan_0_low_1_weight"]
agg = collections.OrderedDict()
for line in open(sys.argv[1]):
    dataset, recipe, rule, seed, model, other = line.rstrip("\n").split("|", 5)
    m = json.load(open(model))
    tm = m["provenance"]["test_metrics"]
    o = json.loads(other)
    a = agg.setdefault((dataset, recipe, rule), collections.defaultdict(int))
    (tn, fp), _ = tm["confusion"]
    a["fp"] += fp
    a["n"] += tn + fp
    a["seeds"] += 1
    p = m["threshold"].get("expected_false_alarms")
    if p is not None:
        a["expected"] += p
        lo, hi = cp(fp, tn + fp)
        a["excl"] += not (lo <= p <= hi)
    a["ofp"] += o["confusion"][0][1]
    a["on"] += o["n_normal"]
    for lab in LABELS:
        a[lab + ":k"] += tm["per_label"][lab]["flagged"]
        a[lab + ":n"] += tm["per_label"][lab]["n"]
        a[lab + ":min"] = min(a.get(lab + ":min", 1.0), tm["per_label"][lab]["flagged"] / tm["per_label"][lab]["n"])

short = {l: l.replace("fan_0_", "").replace("_weight", "") for l in LABELS}
last = None
for (dataset, recipe, rule), a in agg.items():
    if dataset != last:
        print(f"\n### {dataset}\n")
        print("| recipe | rule | expected FA | held-out test FA (95 % CI) | seeds whose CI excludes P | "
              "FA on low_0 (other session) | " + " | ".join(short[l] + " (min seed)" for l in LABELS) + " |")
        print("|" + "---|" * (6 + len(LABELS)))
        last = dataset
    lo, hi = cp(a["fp"], a["n"])
    exp = f"{100 * a['expected'] / a['seeds']:.2f} %" if "expected" in a else "-"
    excl = str(a["excl"]) if "expected" in a else "-"
    det = " | ".join(f"{100 * a[l + ':k'] / a[l + ':n']:.1f} % ({100 * a[l + ':min']:.1f})" for l in LABELS)
    print(f"| {recipe} | {rule} | {exp} | {a['fp']}/{a['n']} = {100 * a['fp'] / a['n']:.2f} % "
          f"({100 * lo:.2f}-{100 * hi:.2f}) | {excl} | {100 * a['ofp'] / a['on']:.1f} % | {det} |")
