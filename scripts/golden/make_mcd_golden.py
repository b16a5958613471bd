#!/usr/bin/python3
"""Golden values for src/train/mcd.cpp: the EXACT Minimum Covariance Determinant of
small data sets, by brute force over every h-subset (numpy), plus the
consistency correction and the reweighting step (scipy's chi2). Shares no code
with tinyad, so a FastMCD that misses the optimum fails the test.
Writes tests/golden/mcd.json. Run with Debian's /usr/bin/python3."""
import itertools
import json
import math
import os

import numpy as np
from scipy.stats import chi2

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "golden", "mcd.json")


def log_det_biased(X):
    c = X - X.mean(axis=0)
    sign, ld = np.linalg.slogdet(c.T @ c / len(X))
    return ld if sign > 0 else -math.inf


def exact_mcd(X, h):
    n = len(X)
    best, second, best_rows = math.inf, math.inf, None
    for rows in itertools.combinations(range(n), h):
        ld = log_det_biased(X[list(rows)])
        if ld < best:
            best, second, best_rows = ld, best, rows
        elif ld < second:
            second = ld
    return list(best_rows), best, second


def case(name, X, h, support_fraction):
    n, p = X.shape
    rows, ld, second = exact_mcd(X, h)
    assert second - ld > 1e-3, f"{name}: optimum not unique enough ({ld} vs {second})"
    S = X[rows]
    mean = S.mean(axis=0)
    cov = (S - mean).T @ (S - mean) / h
    d = np.einsum("ij,jk,ik->i", X - mean, np.linalg.inv(cov), X - mean)
    consistency = np.median(d) / chi2.ppf(0.5, p)
    raw_cov = cov * consistency
    support = [i for i in range(n) if d[i] / consistency <= chi2.ppf(0.975, p)]
    rw = X[support]
    return {
        "name": name, "X": X.tolist(), "h": h, "support_fraction": support_fraction,
        "raw_support": rows, "raw_log_det": ld, "second_log_det": second,
        "raw_mean": mean.tolist(), "raw_covariance": raw_cov.tolist(), "consistency": consistency,
        "support": support, "mean": rw.mean(axis=0).tolist(), "covariance": np.cov(rw.T, ddof=1).tolist(),
    }


def main():
    rng = np.random.default_rng(20261128)
    cases = []
    # n=12, p=2, h=(n+p+1)//2=7: correlated normals with two gross outliers.
    X = rng.multivariate_normal([1.0, -2.0], [[2.0, 1.2], [1.2, 1.5]], size=12)
    X[3] += [8.0, -6.0]
    X[9] += [-7.0, 9.0]
    cases.append(case("n12_p2_outliers", X, (12 + 2 + 1) // 2, 0.0))
    # n=14, p=3, h=9: three outliers in a cluster.
    X = rng.normal(size=(14, 3)) * [1.0, 3.0, 0.5] + [5.0, 0.0, -1.0]
    X[[2, 7, 11]] = rng.normal(size=(3, 3)) * 0.3 + [12.0, 10.0, 4.0]
    cases.append(case("n14_p3_cluster", X, (14 + 3 + 1) // 2, 0.0))
    # n=16, p=2 with support fraction 0.75: h=ceil(12)=12.
    X = rng.standard_t(3, size=(16, 2)) * [1.0, 10.0]
    cases.append(case("n16_p2_heavy_tails_f075", X, 12, 0.75))
    quantiles = [{"q": q, "dof": k, "x": float(chi2.ppf(q, k))}
                 for q in (0.5, 0.975) for k in (1, 2, 3, 20, 60, 180)]
    with open(OUT + ".tmp", "w") as f:
        json.dump({"generator": "scripts/golden/make_mcd_golden.py", "cases": cases, "chi2": quantiles}, f, indent=1)
    os.replace(OUT + ".tmp", OUT)


if __name__ == "__main__":
    main()
