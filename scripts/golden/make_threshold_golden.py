#!/usr/bin/python3
"""Golden values for src/model/threshold.cpp (the split-conformal rule) and
src/eval/false_alarm_rate.cpp (Clopper-Pearson intervals). The conformal
rank is computed in exact rational arithmetic (fractions) and the threshold
picked with numpy's sort; the intervals come from scipy.stats.beta.ppf and
the incomplete beta from scipy.special.betainc. Shares no code with tinyad.
Writes tests/golden/thresholds.json. Run with Debian's /usr/bin/python3."""
import json
import math
import os
from fractions import Fraction

import numpy as np
from scipy.special import betainc
from scipy.stats import beta

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "golden", "thresholds.json")


def conformal(scores, p):
    n = len(scores)
    k = math.ceil((n + 1) * (1 - Fraction(p)))  # exact: Fraction of the decimal text
    if k > n:
        return {"scores": scores, "p": p, "k": k, "refused": True,
                "min_windows": math.ceil(1 / Fraction(p)) - 1}
    s = np.sort(np.asarray(scores, dtype=float))
    value = float(s[k - 1])
    return {"scores": scores, "p": p, "k": k, "refused": False, "value": value,
            "expected": (n + 1 - k) / (n + 1),
            "calibration_rate": float(np.mean(np.asarray(scores) > value))}


rng = np.random.default_rng(11)
cases = []
gamma = [round(float(v), 6) for v in rng.gamma(2.0, 10.0, size=199)]
cases += [conformal(gamma, p) for p in ("0.01", "0.05", "0.1", "0.5")]
lognorm = [round(float(v), 6) for v in rng.lognormal(3.0, 1.0, size=59)]
cases += [conformal(lognorm, p) for p in ("0.05", "0.0166666667", "0.2", "0.01")]  # 1/60: k = n; 0.01 refused
ninety_nine = [float(i) for i in rng.permutation(99) + 1]
cases.append(conformal(ninety_nine, "0.01"))  # k = n exactly: (100)(0.99) = 99
cases.append(conformal([1.0, 2.0, 2.0, 2.0, 2.0, 3.0, 5.0, 5.0, 5.0, 7.0], "0.2"))  # ties at the k-th
cases.append(conformal([4.0] * 20, "0.1"))  # all tied: nothing above the threshold
cases.append(conformal([3.0, 1.0], "0.4"))

intervals = []
for k, n in [(0, 59), (1, 59), (3, 59), (59, 59), (13, 590), (0, 1), (1, 1), (5, 10), (21, 2000), (1000, 2000),
             (0, 100000), (7, 100000)]:
    a = 0.05
    lo = 0.0 if k == 0 else float(beta.ppf(a / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1 - a / 2, k + 1, n - k))
    intervals.append({"k": k, "n": n, "level": 0.95, "lo": lo, "hi": hi})

betas = []
for a_, b_, x in [(1, 1, 0.3), (2, 5, 0.1), (2, 5, 0.9), (0.5, 0.5, 0.2), (13, 578, 0.02), (50, 60, 0.45),
                  (100, 2, 0.99), (3, 1000, 0.001)]:
    betas.append({"a": a_, "b": b_, "x": x, "value": float(betainc(a_, b_, x))})

with open(OUT, "w") as f:
    json.dump({"conformal": cases, "clopper_pearson": intervals, "incomplete_beta": betas}, f, indent=1)
print("wrote", OUT)
