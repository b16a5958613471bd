#!/usr/bin/python3
"""Issue 11 exploration: detectors/scores at cv-conformal P = 1 % on tinyad's own splits.

Split: tinyad's split_make (SplitMix64 Fisher-Yates, val 20 %, test 20 %), windows in file order;
fit rows = sorted(train + validation); 10 folds by tinyad's cv_folds (mt19937_64); each detector
returns a matrix of K statistics per window; the rule turns them into a flag (see RULES).
"""
import os
import sys
import numpy as np
from scipy import stats

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import recipe_search as rs  # noqa: E402

NORMAL = "fan_0_low_0_weight-moving"
OTHERS = ["fan_0_low_0_weight", "fan_0_low_1_weight"]
TARGETS = ["fan_0_med_0_weight", "fan_0_med_1_weight", "fan_0_high_0_weight", "fan_0_high_1_weight"]
SHORT = {"fan_0_med_0_weight": "med_0", "fan_0_med_1_weight": "med_1", "fan_0_high_0_weight": "high_0",
         "fan_0_high_1_weight": "high_1", "fan_0_low_0_weight": "low_0", "fan_0_low_1_weight": "low_1"}
M64 = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.s = seed & M64

    def next(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & M64
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return z ^ (z >> 31)

    def below(self, n):
        limit = M64 - M64 % n
        while True:
            v = self.next()
            if v < limit:
                return v % n


def tinyad_split(n, seed):
    order = list(range(n))
    r = SplitMix64(seed)
    for i in range(n, 1, -1):
        j = r.below(i)
        order[i - 1], order[j] = order[j], order[i - 1]
    nv, nt = int(n * 0.2), int(n * 0.2)
    return np.array(order[nv + nt:]), np.array(order[:nv]), np.array(order[nv:nv + nt])


def load_feats(root, labels):
    raw = rs.load_dataset(root, labels)
    return {lab: rs.features(raw[lab], rs.CHOSEN) for lab in labels}


def conformal_k(n, p):
    return min(int(np.ceil((n + 1) * (1 - p) - 1e-9)), n)


def cp(k, n, a=0.05):
    lo = 0.0 if k == 0 else stats.beta.ppf(a / 2, k, n - k + 1)
    hi = 1.0 if k == n else stats.beta.ppf(1 - a / 2, k + 1, n - k)
    return lo, hi


# ------------------------------------------------------------------ rules on K statistics
def pvals(cal, S):
    """conformal p-values of rows S (m, K) against calibration matrix cal (n, K):
    p = (1 + #{cal >= s}) / (n + 1), per column."""
    n = len(cal)
    out = np.empty(S.shape)
    for j in range(S.shape[1]):
        c = np.sort(cal[:, j])
        out[:, j] = (1 + n - np.searchsorted(c, S[:, j], side="left")) / (n + 1)
    return out


def make_rule(kind, P):
    """Returns f(oof (n,K)) -> flag function on (m,K) score matrices."""
    def rule(oof):
        n, K = oof.shape
        if kind == "single" or K == 1:
            thr = np.sort(oof[:, 0])[conformal_k(n, P) - 1]
            return lambda S: S[:, 0] > thr
        if kind == "bonf":          # each statistic its own conformal limit at P/K
            thr = np.array([np.sort(oof[:, j])[conformal_k(n, P / K) - 1] for j in range(K)])
            return lambda S: (S > thr).any(axis=1)
        if kind == "minp":
            # Tippett/min-p over the K statistics, calibrated as one conformal score:
            # m = min_j (number of calibration scores >= the window's score j); for a calibration
            # window the count is over the other n-1 (leave-one-out), for a new one over all n.
            # The strangeness -m gets the same order-statistic limit as a single score (ties
            # resolved conservatively: a new window tied with the limit is not flagged).
            cnt = np.empty((n, K))
            for j in range(K):
                cnt[:, j] = stats.rankdata(-oof[:, j], method="max") - 1
            m = cnt.min(axis=1)
            lim = np.sort(-m)[conformal_k(n, P) - 1]
            srt = [np.sort(oof[:, j]) for j in range(K)]

            def flag(S):
                c = np.column_stack([n - np.searchsorted(srt[j], S[:, j], side="left") for j in range(K)])
                return -c.min(axis=1) > lim
            return flag
        raise ValueError(kind)
    return rule


# ------------------------------------------------------------------ evaluation
def evaluate(feats, make_det, rule, seeds, P=0.01):
    Fn = feats[NORMAL]
    res = {"fa_k": [], "fa_n": [], "thr": []}
    for lab in TARGETS + OTHERS:
        res[lab] = []
    for seed in seeds:
        tr, va, te = tinyad_split(len(Fn), seed)
        fit = np.sort(np.concatenate([tr, va]))
        X = Fn[fit]
        n = len(X)
        folds = rs.cv_folds(n, 10, seed)
        oof = None
        for f in range(10):
            out = folds == f
            s = make_det(X[~out]).stats(X[out])
            if oof is None:
                oof = np.empty((n, s.shape[1]))
            oof[out] = s
        flag = rule(oof)
        det = make_det(X)
        ft = flag(det.stats(Fn[te]))
        res["fa_k"].append(ft.sum())
        res["fa_n"].append(len(te))
        for lab in TARGETS + OTHERS:
            res[lab].append(flag(det.stats(feats[lab])).mean())
    return {k: np.array(v) for k, v in res.items()}


def summary(name, r):
    k, n = r["fa_k"].sum(), r["fa_n"].sum()
    lo, hi = cp(k, n)
    worst_fa = (r["fa_k"] / r["fa_n"]).max()
    cells = [f"{name:34s}", f"FA {100*k/n:5.2f} ({100*lo:.2f}-{100*hi:.2f}) max {100*worst_fa:4.1f}"]
    for lab in TARGETS:
        cells.append(f"{SHORT[lab]} {100*r[lab].mean():5.1f}({100*r[lab].min():5.1f})")
    for lab in OTHERS:
        cells.append(f"{SHORT[lab]} {100*r[lab].mean():4.1f}({100*r[lab].max():4.1f})")
    return " | ".join(cells)
