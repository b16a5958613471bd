#!/usr/bin/python3
"""x12 final table: feature variants x (fan seeds 0-9, fan seeds 10-19, sim seeds 0-9), PPCA Kaiser,
cv-conformal at P (1 % unless the row says). Run: /usr/bin/python3 final12.py [fan0|fan10|sim0 ...]"""
import os
import sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run12 import *
ROWS = [("today (check: mad,kurt,crest,corr,bands)", "today", 0.01),
        ("today at P = 1.5 %", "today", 0.015),
        ("today at P = 2 %", "today", 0.02),
        ("median-Welch bands, L=100 (W100med)", "W100med", 0.01),
        ("  control: mean-Welch L=100", "W100mean", 0.01),
        ("median-Welch bands, L=64", "W64med", 0.01),
        ("drop kurt, crest (nokc)", "nokc", 0.01),
        ("Moors kurt + quantile crest (robshape)", "robshape", 0.01),
        ("today + relative bands (+rel)", "+rel", 0.01),
        ("envelope limiter 2x, bands (gate2:bands)", "gate2:bands", 0.01),
        ("winsorised 3 MAD: bands (win3:bands)", "win3:bands", 0.01),
        ("winsorised 2.5 MAD: bands (win2.5:bands)", "win2.5:bands", 0.01),
        ("winsorised 3 MAD: kurt,crest,corr,bands (win3)", "win3", 0.01),
        ("winsorised 3 MAD + median-Welch L=100", "win3:W100med", 0.01),
        ("winsorised 2.5 MAD + median-Welch L=100", "win2.5:W100med", 0.01),
        ("win3:bands, drop kurt,crest", "win3:bands-kc", 0.01),
        ("win3:bands, drop mad", "win3:bands-mad", 0.01),
        ("win2.5:bands, drop mad", "win2.5:bands-mad", 0.01)]
IDS = {}
if __name__ == "__main__":
    for set_ in sys.argv[1:] or ["fan0", "fan10", "sim0"]:
        root, seeds = SETS[set_]
        print(f"| **{set_}** |||||||||")
        for label, v, P in ROWS:
            r = evaluate_x(feats(root, V[v]), seeds, P)
            print(row(label, r), flush=True)
            if set_.startswith("fan"):
                from collections import Counter
                c = Counter(int(i) for a in r["above"] for i in a)
                IDS.setdefault(label, Counter()).update(c)
    for label, c in IDS.items():
        print(f"| {label} | " + " ".join(f"{i}:{m}" for i, m in sorted(c.items(), key=lambda t: -t[1])) + " |")
