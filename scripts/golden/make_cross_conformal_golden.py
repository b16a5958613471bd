#!/usr/bin/python3
"""Golden values for src/train/cross_conformal.cpp and the cv-conformal rule
of src/model/threshold.cpp: a fixed Gaussian sample X (239 x 3, numpy's
default_rng(11)), a fixed fold of each row (a numpy permutation dealt into 4
folds), the out-of-fold squared Mahalanobis distances computed with numpy
(mean and unbiased covariance of the other folds, no shrinkage), and the
conformal order statistic k = ceil((n + 1)(1 - P)) of them, in exact rational
arithmetic, for P = 0.01 and 0.05. Shares no code with tinyad.
Writes tests/golden/cross_conformal.json. Run with Debian's /usr/bin/python3."""
import json
import math
import os
from fractions import Fraction

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "golden", "cross_conformal.json")

rng = np.random.default_rng(11)
n, d, k_folds = 239, 3, 4
X = rng.standard_normal((n, d)) * np.array([1.0, 2.0, 0.5]) + np.array([3.0, -1.0, 0.0])
fold = np.empty(n, dtype=int)
fold[rng.permutation(n)] = np.arange(n) % k_folds

oof = np.empty(n)
for f in range(k_folds):
    fit = X[fold != f]
    mu = fit.mean(axis=0)
    cov = np.cov(fit, rowvar=False, ddof=1)
    diff = X[fold == f] - mu
    oof[fold == f] = np.einsum("ij,jk,ik->i", diff, np.linalg.inv(cov), diff)

thresholds = []
for p in ["0.01", "0.05"]:
    k = math.ceil((n + 1) * (1 - Fraction(p)))
    thresholds.append({"p": p, "k": k, "value": float(np.sort(oof)[k - 1]), "expected": (n + 1 - k) / (n + 1)})

with open(OUT, "w") as fh:
    json.dump({"X": X.tolist(), "fold": fold.tolist(), "folds": k_folds, "oof_scores": oof.tolist(),
               "thresholds": thresholds}, fh)
    fh.write("\n")
