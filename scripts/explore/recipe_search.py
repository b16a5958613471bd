#!/usr/bin/python3
"""Feature-recipe search for tinyad's Mahalanobis detector (data experiment).

Run:  /usr/bin/python3 scripts/explore/recipe_search.py --data /work/shared/datasets/ceiling-fan

Protocol (see docs/recipe-search.md):
  normal training state = fan_0_low_0_weight-moving (files ordered by name);
  per seed: p = numpy.random.default_rng(seed).permutation(n); n_val = int(0.2*n);
  validation = p[:n_val], test = p[n_val:2*n_val], train = p[2*n_val:].
  Detector fitted on train only; threshold from validation (or train+validation) normals only.
  Candidates are compared on selection seeds 100..109; the chosen recipe and the
  original recipe are reported on evaluation seeds 0..9.
  The rule tinyad's `default` recipe uses since 2026-12-03, cross-conformal at P = 1 %
  ("cvconf"), fits the detector on train + validation instead; it is evaluated after the
  historical search (which used 3.5 x the validation median), see cv_conformal_threshold.
"""
import argparse
import glob
import hashlib
import os
import sys

import numpy as np
from scipy import stats

NORMAL = "fan_0_low_0_weight-moving"
OTHER_SESSION = "fan_0_low_0_weight"
ANOMALIES = ["fan_0_med_0_weight", "fan_0_high_0_weight", "fan_0_med_1_weight",
             "fan_0_high_1_weight", "fan_0_low_1_weight"]
SHORT = {"fan_0_med_0_weight": "med_0", "fan_0_high_0_weight": "high_0",
         "fan_0_med_1_weight": "med_1", "fan_0_high_1_weight": "high_1",
         "fan_0_low_1_weight": "low_1"}
SELECTION_SEEDS = list(range(100, 110))
EVALUATION_SEEDS = list(range(0, 10))
MAD_SCALE = 1.4826
SCALE_GROUPS = ("std", "mad", "ptp", "bands")   # groups the log transform applies to


# ----------------------------------------------------------------------------- data
def load_dataset(root, labels):
    """Return {label: [array (rows, 3)]}, files ordered by name. Cached as npz in /tmp."""
    key = hashlib.sha1(os.path.abspath(root).encode()).hexdigest()[:10]
    cache = f"/tmp/tinyad_recipe_raw_{key}.npz"
    if os.path.exists(cache):
        z = np.load(cache)
        out = {}
        for lab in labels:
            lens = z[lab + "/len"]
            flat = z[lab + "/data"]
            out[lab] = np.split(flat, np.cumsum(lens)[:-1])
        return out
    out, store = {}, {}
    for lab in labels:
        files = sorted(glob.glob(os.path.join(root, lab, "*.csv")))
        if not files:
            sys.exit(f"no csv files for label {lab} under {root}")
        wins = [np.loadtxt(f, delimiter=",", ndmin=2)[:, :3].astype(np.float64) for f in files]
        out[lab] = wins
        store[lab + "/len"] = np.array([len(w) for w in wins])
        store[lab + "/data"] = np.concatenate(wins)
    np.savez(cache, **store)
    return out


# ----------------------------------------------------------------------------- features
def next_pow2(n):
    p = 1
    while p < n:
        p *= 2
    return p


def band_energies(xc, edges):
    """xc: (n, W) mean-removed. Periodic Hann, zero-pad to N=next_pow2(W), P_k=|X_k|^2 for
    k=1..N/2; band b = mean of P_k over k in [edges[b], edges[b+1])."""
    W = xc.shape[1]
    N = next_pow2(W)
    w = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(W) / W)
    X = np.fft.rfft(xc * w, n=N, axis=1)
    P = np.abs(X) ** 2            # index k = bin k, k = 0..N/2
    return np.stack([P[:, edges[b]:edges[b + 1]].mean(axis=1) for b in range(len(edges) - 1)],
                    axis=1)


def axis_features(x, group, recipe):
    """x: (n, W) one axis. Returns (n, k) for one group."""
    m = x.mean(axis=1, keepdims=True)
    xc = x - m
    if group == "mean":
        return m
    if group == "std":
        return np.sqrt((xc ** 2).mean(axis=1, keepdims=True))
    if group == "mad":
        med = np.median(x, axis=1, keepdims=True)
        return MAD_SCALE * np.median(np.abs(x - med), axis=1, keepdims=True)
    if group in ("skew", "kurt"):
        m2 = (xc ** 2).mean(axis=1)
        mk = (xc ** (3 if group == "skew" else 4)).mean(axis=1)
        out = np.zeros_like(m2)
        ok = m2 > 0
        if group == "skew":
            out[ok] = mk[ok] / m2[ok] ** 1.5
        else:
            out[ok] = mk[ok] / m2[ok] ** 2 - 3.0
        return out[:, None]
    if group == "ptp":
        return (x.max(axis=1) - x.min(axis=1))[:, None]
    if group == "crest":
        sd = np.sqrt((xc ** 2).mean(axis=1))
        pk = np.abs(xc).max(axis=1)
        out = np.zeros_like(sd)
        ok = sd > 0
        out[ok] = pk[ok] / sd[ok]
        return out[:, None]
    if group == "bands":
        return band_energies(xc, recipe["edges"])
    raise ValueError(group)


def corr_features(X):
    """X: (n, W, 3). Pearson r for (x,y), (x,z), (y,z); 0 when a std is 0."""
    xc = X - X.mean(axis=1, keepdims=True)
    sd = np.sqrt((xc ** 2).mean(axis=1))
    out = []
    for a, b in ((0, 1), (0, 2), (1, 2)):
        cov = (xc[:, :, a] * xc[:, :, b]).mean(axis=1)
        den = sd[:, a] * sd[:, b]
        r = np.zeros_like(cov)
        ok = den > 0
        r[ok] = cov[ok] / den[ok]
        out.append(r)
    return np.stack(out, axis=1)


def features(windows, recipe):
    """windows: list of (rows, 3). Feature order: for each group in recipe order, axes x,y,z
    (bands: all bands of x, then y, then z); corr gives (x,y),(x,z),(y,z)."""
    W = recipe["W"]
    X = np.stack([w[:W] for w in windows])          # all files here have >= W rows
    cols = []
    for g in recipe["groups"]:
        if g == "corr":
            cols.append(corr_features(X))
            continue
        for a in range(3):
            f = axis_features(X[:, :, a], g, recipe)
            if recipe.get("log") and g in SCALE_GROUPS:
                f = np.log(f + recipe["eps"])
            cols.append(f)
    F = np.concatenate(cols, axis=1)
    if recipe.get("bandrel"):
        # optional: subtract per-axis mean log band energy (removes each axis's overall level)
        nb = len(recipe["edges"]) - 1
        j = 0
        for g in recipe["groups"]:
            if g == "bands":
                for a in range(3):
                    blk = F[:, j + a * nb: j + (a + 1) * nb]
                    F[:, j + a * nb: j + (a + 1) * nb] = blk - blk.mean(axis=1, keepdims=True)
                j += 3 * nb
            elif g == "corr":
                j += 3
            else:
                j += 3
    return F


# ----------------------------------------------------------------------------- detector
def ledoit_wolf_intensity(Z):
    """Ledoit-Wolf (2004) shrinkage intensity toward mu*I for rows Z (n, p), centred here.
    S = Z'Z/n, mu = tr(S)/p, d2 = ||S - mu I||^2/p, b2 = min(d2, sum_k ||z_k z_k' - S||^2 / (p n^2))."""
    n, p = Z.shape
    Z = Z - Z.mean(axis=0)
    S = Z.T @ Z / n
    mu = np.trace(S) / p
    d2 = ((S - mu * np.eye(p)) ** 2).sum() / p
    sq = (Z ** 2).sum(axis=1)
    b2 = ((sq ** 2).sum() - n * (S ** 2).sum()) / (p * n * n)
    b2 = min(max(b2, 0.0), d2)
    return 0.0 if d2 == 0 else b2 / d2


def ppca_correlation(C):
    """Probabilistic PCA of a correlation matrix C (p, p), as tinyad's `default` recipe since
    2026-12-03 (src/model/mahalanobis.cpp): keep the k leading eigenvectors with eigenvalue > 1
    (Kaiser's rule; 1 <= k <= p - 1), replace the other eigenvalues by their mean sigma2 (at
    least 1e-9). Returns (sigma2 I + V_k diag(lam_k - sigma2) V_k', k)."""
    p = C.shape[0]
    lam, V = np.linalg.eigh(C)                   # ascending
    lam, V = lam[::-1], V[:, ::-1]
    k = 0
    while k < p - 1 and lam[k] > 1.0:
        k += 1
    k = max(k, min(1, p - 1))
    sigma2 = max(lam[k:].mean() if k < p else 0.0, 1e-9)
    Vk = V[:, :k]
    return sigma2 * np.eye(p) + Vk @ np.diag(lam[:k] - sigma2) @ Vk.T, k


class Mahalanobis:
    """cov: 'plain' = unbiased (N-1) covariance; 'lw' = features standardised by train mean/sd
    (ddof=1), then (1-s)*C + s*(tr C/p)*I with C the unbiased covariance of the standardised
    features and s the Ledoit-Wolf intensity; 'ppca' = the same standardisation, then
    ppca_correlation(C), or 'lw' when there are no more rows than features (as tinyad: the
    trailing eigenvalues are then zero by construction, not a variance)."""

    def __init__(self, cov="plain"):
        self.cov = cov

    def fit(self, F):
        self.mu = F.mean(axis=0)
        self.components = 0
        if self.cov in ("lw", "ppca"):
            self.sd = F.std(axis=0, ddof=1)
            self.sd[self.sd == 0] = 1.0
        else:
            self.sd = np.ones(F.shape[1])
        Z = (F - self.mu) / self.sd
        C = np.cov(Z, rowvar=False, ddof=1).reshape(F.shape[1], F.shape[1])
        self.shrink = 0.0
        if self.cov == "ppca" and F.shape[0] > F.shape[1]:
            C, self.components = ppca_correlation(C)
        elif self.cov in ("lw", "ppca"):
            s = ledoit_wolf_intensity(Z)
            p = C.shape[0]
            C = (1 - s) * C + s * np.trace(C) / p * np.eye(p)
            self.shrink = s
        self.P = np.linalg.pinv(C, hermitian=True)
        return self

    def score(self, F):
        Z = (F - self.mu) / self.sd
        return np.einsum("ij,jk,ik->i", Z, self.P, Z)


def threshold(rule, s_train, s_val, d):
    kind, par = rule
    if kind == "fixed":
        return par
    if kind == "msd":          # mean + par * sd (ddof=0) of validation scores
        return s_val.mean() + par * s_val.std()
    if kind == "vq":           # quantile par of validation scores (numpy linear interpolation)
        return np.quantile(s_val, par)
    if kind == "chi2":         # chi-square quantile with d degrees of freedom
        return stats.chi2.ppf(par, d)
    if kind == "max":          # par * max of train and validation scores
        return par * max(s_train.max(), s_val.max())
    if kind == "kmed":         # par * median of validation scores
        return par * np.median(s_val)
    if kind == "vmax":         # par * max of validation scores
        return par * s_val.max()
    raise ValueError(kind)


M64 = (1 << 64) - 1


class MT19937_64:
    """std::mt19937_64 (the C++ standard's parameters), for tinyad's fold assignment."""

    def __init__(self, seed):
        self.mt = [seed & M64] + [0] * 311
        for i in range(1, 312):
            p = self.mt[i - 1]
            self.mt[i] = (6364136223846793005 * (p ^ (p >> 62)) + i) & M64
        self.i = 312

    def __call__(self):
        if self.i >= 312:
            mt, lower = self.mt, (1 << 31) - 1
            for i in range(312):
                x = (mt[i] & ~lower & M64) | (mt[(i + 1) % 312] & lower)
                mt[i] = mt[(i + 156) % 312] ^ (x >> 1) ^ (0xB5026F5AA96619E9 if x & 1 else 0)
            self.i = 0
        y = self.mt[self.i]
        self.i += 1
        y ^= (y >> 29) & 0x5555555555555555
        y ^= (y << 17) & 0x71D67FFFEDA60000
        y ^= (y << 37) & 0xFFF7EEE000000000
        y ^= y >> 43
        return y & M64


def cv_folds(n, k, seed):
    """tinyad's cv_folds (src/train/cross_conformal.cpp): Fisher-Yates with mt19937_64 seeded
    with seed ^ "cvfolds!", positions dealt round-robin into k folds."""
    order = list(range(n))
    rng = MT19937_64(seed ^ 0x6376666f6c647321)
    for i in range(n, 1, -1):
        j = rng() % i
        order[i - 1], order[j] = order[j], order[i - 1]
    fold = np.empty(n, dtype=int)
    fold[order] = np.arange(n) % k
    return fold


def cv_conformal_threshold(F, cov, p, seed, folds=10):
    """tinyad's cv-conformal:P rule (src/train/train.cpp, docs/thresholds.md): the n rows of F
    (train + validation, in file order) get out-of-fold scores from detectors fitted on the other
    folds; the threshold is the k-th smallest, k = ceil((n+1)(1-p)) (capped at n). The caller
    fits the final detector on all n rows."""
    n = len(F)
    fold = cv_folds(n, min(folds, n), seed)
    oof = np.empty(n)
    for f in range(min(folds, n)):
        out = fold == f
        oof[out] = Mahalanobis(cov).fit(F[~out]).score(F[out])
    k = min(int(np.ceil((n + 1) * (1 - p) - 1e-9)), n)
    return np.sort(oof)[k - 1]


def auc(neg, pos):
    """P(score_pos > score_neg) + 0.5 P(tie), via ranks."""
    r = stats.rankdata(np.concatenate([neg, pos]))
    n0, n1 = len(neg), len(pos)
    return (r[n0:].sum() - n1 * (n1 + 1) / 2) / (n0 * n1)


def split(n, seed):
    p = np.random.default_rng(seed).permutation(n)
    nv = int(0.2 * n)
    return p[2 * nv:], p[:nv], p[nv:2 * nv]     # train, val, test


def evaluate(feats, cov, rule, seeds):
    """feats: {label: feature matrix}. Returns {metric: array over seeds}."""
    Fn = feats[NORMAL]
    rows = []
    for seed in seeds:
        tr, va, te = split(len(Fn), seed)
        if rule[0] == "cvconf":    # fitted on train + validation (file order), cross-conformal
            fit = np.sort(np.concatenate([tr, va]))
            thr = cv_conformal_threshold(Fn[fit], cov, rule[1], seed)
            det = Mahalanobis(cov).fit(Fn[fit])
            s_te = det.score(Fn[te])
        else:
            det = Mahalanobis(cov).fit(Fn[tr])
            s_tr, s_va, s_te = det.score(Fn[tr]), det.score(Fn[va]), det.score(Fn[te])
            thr = threshold(rule, s_tr, s_va, Fn.shape[1])
        r = {}
        sa = {lab: det.score(feats[lab]) for lab in ANOMALIES}
        r["pooled"] = auc(s_te, np.concatenate([sa[l] for l in ANOMALIES]))
        for lab in ANOMALIES:
            r["auc_" + SHORT[lab]] = auc(s_te, sa[lab])
            r["det_" + SHORT[lab]] = (sa[lab] > thr).mean()
        r["fa_low0"] = (det.score(feats[OTHER_SESSION]) > thr).mean()
        r["fa_test"] = (s_te > thr).mean()
        r["thr"] = thr
        r["shrink"] = det.shrink
        r["components"] = det.components
        rows.append(r)
    return {k: np.array([r[k] for r in rows]) for k in rows[0]}


def meets(m):
    det4 = min(m["det_" + s].mean() for s in ("med_0", "high_0", "med_1", "high_1"))
    return {"pooled": m["pooled"].mean() >= 0.97, "low_1": m["auc_low_1"].mean() >= 0.85,
            "det4": det4 >= 0.98, "fa_low0": m["fa_low0"].mean() <= 0.03}


# ----------------------------------------------------------------------------- recipes
def lin_edges(lo, hi, nb):
    return [int(round(v)) for v in np.linspace(lo, hi, nb + 1)]


def log_edges(lo, hi, nb):
    e = sorted(set(int(round(v)) for v in np.geomspace(lo, hi, nb + 1)))
    return e


ORIGINAL = {"name": "original", "W": 128, "groups": ["mad"], "edges": None, "log": False}

E16 = lin_edges(1, 129, 16)     # W=200 -> N=256, bins 1..128 in 16 bands of 8 bins (6.25 Hz)
CHOSEN = {"name": "chosen", "W": 200, "groups": ["mad", "kurt", "crest", "corr", "bands"],
          "edges": E16, "log": True, "eps": 1e-4}
CHOSEN_COV = "lw"
CHOSEN_RULE = ("kmed", 3.5)
NEW_RULE = ("cvconf", 0.01)     # tinyad's `default` rule since 2026-12-03


def candidates():
    C = []

    def add(name, W, groups, edges=None, log=True, eps=1e-7, bandrel=False):
        C.append({"name": name, "W": W, "groups": groups, "edges": edges, "log": log,
                  "eps": eps, "bandrel": bandrel})
    add("mad W128 (original)", 128, ["mad"], log=False)
    add("mad W200 log", 200, ["mad"])
    add("std+mad W200 log", 200, ["std", "mad"])
    add("stats6 W200", 200, ["std", "mad", "skew", "kurt", "ptp", "crest"])
    add("mean+stats6 W200", 200, ["mean", "std", "mad", "skew", "kurt", "ptp", "crest"])
    add("stats6+corr W200", 200, ["std", "mad", "skew", "kurt", "ptp", "crest", "corr"])
    add("bands lin8", 200, ["bands"], lin_edges(1, 129, 8))
    add("std+bands lin8", 200, ["std", "bands"], lin_edges(1, 129, 8))
    add("bands lin16", 200, ["bands"], E16)
    add("bands lin16 rel", 200, ["bands"], E16, bandrel=True)
    add("std+bands lin16", 200, ["std", "bands"], E16)
    add("std+bands lin20", 200, ["std", "bands"], lin_edges(1, 129, 20))
    add("std+bands log12", 200, ["std", "bands"], log_edges(1, 129, 12))
    add("std+bands low-fine", 200, ["std", "bands"],
        list(range(1, 41, 4)) + [41, 65, 89, 97, 105, 129])
    add("W128 std+kurt+crest+bands lin16", 128, ["std", "kurt", "crest", "bands"],
        lin_edges(1, 65, 16))
    add("std+kurt+crest+bands lin16", 200, ["std", "kurt", "crest", "bands"], E16)
    add("std+kurt+crest+bands lin16 e-4", 200, ["std", "kurt", "crest", "bands"], E16, eps=1e-4)
    add("std+kurt+crest+bands lin16 rel", 200, ["std", "kurt", "crest", "bands"], E16,
        bandrel=True)
    add("std+skew+kurt+crest+bands lin16", 200, ["std", "skew", "kurt", "crest", "bands"], E16)
    add("std+corr+bands lin16 e-4", 200, ["std", "corr", "bands"], E16, eps=1e-4)
    add("std+kurt+crest+corr+bands e-4", 200, ["std", "kurt", "crest", "corr", "bands"], E16,
        eps=1e-4)
    add("mad+kurt+crest+corr+bands e-7", 200, CHOSEN["groups"], E16, eps=1e-7)
    add("mad+kurt+crest+corr+bands e-4", 200, CHOSEN["groups"], E16, eps=1e-4)
    return C


# ----------------------------------------------------------------------------- main
KEYS = ["pooled", "auc_low_1", "det_med_0", "det_high_0", "det_med_1", "det_high_1",
        "det_low_1", "fa_low0", "fa_test"]
HDR = "pooled  low1  dMed0 dHigh0 dMed1 dHigh1 dLow1 FAlow0 FAtest"


def fmt(m, keys=KEYS):
    return " ".join(f"{m[k].mean():6.3f}" for k in keys)


def rule_name(rule):
    return f"{rule[0]}{rule[1]:g}"


def report(title, m):
    print(title)
    names = {"pooled": "pooled AUC", "auc_low_1": "low_1 AUC"}
    extra = ["components"] if m["components"].max() > 0 else []   # PPCA fits only
    for k in ["pooled"] + [f"auc_{SHORT[l]}" for l in ANOMALIES] + KEYS[2:] + ["thr", "shrink"] + extra:
        print(f"  {names.get(k, k):12s} {m[k].mean():8.3f} +/- {m[k].std():.3f}"
              f"   (min {m[k].min():.3f}, max {m[k].max():.3f})")
    t = meets(m)
    print("  targets: " + ", ".join(f"{k} {'MET' if v else 'MISSED'}" for k, v in t.items()))


def check_ppca(path):
    """The detector here must score as tinyad's: compare the PPCA covariance of each golden case."""
    import json
    for case in json.load(open(path))["cases"]:
        X = np.array(case["X"])
        det = Mahalanobis("ppca").fit(X)
        cov = np.diag(det.sd) @ np.linalg.pinv(det.P, hermitian=True) @ np.diag(det.sd)
        err = np.abs(cov - np.array(case["covariance"])).max() / np.abs(cov).max()
        ok = det.components == case["components"] and err < 1e-9
        print(f"ppca check {case['name']}: components {det.components} (golden {case['components']}), "
              f"max relative covariance error {err:.1e} {'OK' if ok else 'MISMATCH'}")
        if not ok:
            sys.exit(1)


def print_candidates_at_new_rule(cov_name, cov, feats_of):
    """Every candidate recipe at cv-conformal 1 % with the given covariance, selection seeds."""
    print(f"\nCandidates at cv-conformal 1 %, {cov_name}, SELECTION seeds 100..109")
    print(f"{'recipe':34s} {'d':>3s} {HDR}")
    for rec in candidates():
        f = feats_of(rec)
        m = evaluate(f, cov, NEW_RULE, SELECTION_SEEDS)
        print(f"{rec['name']:34s} {f[NORMAL].shape[1]:3d} {fmt(m)}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--check-ppca", metavar="GOLDEN",
                    help="first check ppca_correlation against tinyad's golden file "
                         "(tests/golden/ppca.json, from scripts/golden/make_ppca_golden.py) and stop on a mismatch")
    args = ap.parse_args()
    if args.check_ppca:
        check_ppca(args.check_ppca)
    labels = [NORMAL, OTHER_SESSION] + ANOMALIES
    raw = load_dataset(args.data, labels)

    def feats_of(recipe):
        return {lab: features(raw[lab], recipe) for lab in labels}

    print("Harness check: original recipe (MAD, W=128, plain covariance)")
    fo = feats_of(ORIGINAL)
    for seeds, tag in ((EVALUATION_SEEDS, "seeds 0..9"), (SELECTION_SEEDS, "seeds 100..109"),
                       (list(range(20)), "seeds 0..19")):
        m = evaluate(fo, "plain", ("fixed", 3.0), seeds)
        print(f"  {tag:15s} pooled {m['pooled'].mean():.3f}+/-{m['pooled'].std():.3f} "
              f"low_1 {m['auc_low_1'].mean():.3f}+/-{m['auc_low_1'].std():.3f} "
              f"flagged low_0 at thr 3.0: {m['fa_low0'].mean():.3f} "
              f"(per seed {' '.join(f'{v:.2f}' for v in m['fa_low0'])})")

    Xn = np.stack([w[:128] for w in raw[NORMAL]])
    ref = stats.median_abs_deviation(Xn, axis=1, scale="normal")
    print(f"  max |our MAD - scipy median_abs_deviation(scale='normal')| on normal windows: "
          f"{np.abs(fo[NORMAL] - ref).max():.1e}")

    print("\nCandidates on SELECTION seeds 100..109 (means over seeds; d = feature count)")
    print(f"{'recipe':34s} {'d':>3s} {'cov':5s} {'threshold':9s} {HDR}")
    for rec in candidates():
        f = feats_of(rec)
        d = f[NORMAL].shape[1]
        for cov in ("plain", "lw"):
            for rule in (("msd", 3.0), CHOSEN_RULE):
                m = evaluate(f, cov, rule, SELECTION_SEEDS)
                print(f"{rec['name']:34s} {d:3d} {cov:5s} {rule_name(rule):9s} {fmt(m)}")

    fc = feats_of(CHOSEN)
    print("\nThreshold rules for the chosen features + Ledoit-Wolf, SELECTION seeds 100..109")
    print(f"{'threshold':12s} {HDR}")
    for rule in [("msd", 3.0), ("msd", 4.0), ("vq", 0.99), ("max", 1.0), ("chi2", 0.999),
                 ("kmed", 3.0), ("kmed", 3.25), ("kmed", 3.5), ("kmed", 3.75), ("kmed", 4.0)]:
        m = evaluate(fc, CHOSEN_COV, rule, SELECTION_SEEDS)
        print(f"{rule_name(rule):12s} {fmt(m)}")

    # Per selection seed, in units of the median validation score: the feasible threshold window
    # [97 % quantile of low_0, 2 % quantile of each of med_0/high_0/med_1/high_1] and where the
    # usual validation-based rules land.
    print("\nChosen features + LW, selection seeds, all values / median(validation scores)")
    print("seed  low0_q97  anom_q02(min)  val_max  val_mean+3sd")
    Fn = fc[NORMAL]
    for seed in SELECTION_SEEDS:
        tr, va, te = split(len(Fn), seed)
        det = Mahalanobis(CHOSEN_COV).fit(Fn[tr])
        sv = det.score(Fn[va])
        med = np.median(sv)
        lo = np.quantile(det.score(fc[OTHER_SESSION]), 0.97)
        hi = min(np.quantile(det.score(fc[l]), 0.02) for l in ANOMALIES[:4])
        print(f"{seed:4d}  {lo / med:8.2f}  {hi / med:13.2f}  {sv.max() / med:7.2f}  "
              f"{(sv.mean() + 3 * sv.std()) / med:12.2f}")

    # Can anything in these features tell low_1 from low_0 at all? (Both recorded still, so the
    # difference is coin + whatever else changed between their recordings.) Two-class LDA,
    # 5-fold cross-validated AUC; descriptive only, not used by the detector.
    A, B = fc[OTHER_SESSION], fc["fan_0_low_1_weight"]
    X = np.vstack([A, B])
    y = np.r_[np.zeros(len(A)), np.ones(len(B))]
    idx = np.random.default_rng(0).permutation(len(y))
    sc = np.zeros(len(y))
    for te in np.array_split(idx, 5):
        tr = np.setdiff1d(idx, te)
        X0, X1 = X[tr][y[tr] == 0], X[tr][y[tr] == 1]
        Sw = np.cov(X0, rowvar=False) + np.cov(X1, rowvar=False)
        Sw += 1e-6 * np.trace(Sw) / Sw.shape[0] * np.eye(Sw.shape[0])
        sc[te] = X[te] @ np.linalg.solve(Sw, X1.mean(axis=0) - X0.mean(axis=0))
    print(f"\nChosen features, LDA low_0 (still) vs low_1 (coin), 5-fold CV AUC: "
          f"{auc(sc[y == 0], sc[y == 1]):.3f}")

    print("\n=== EVALUATION seeds 0..9 (mean +/- sd over seeds) ===")
    report("original recipe, plain covariance, threshold mean+3sd of validation scores",
           evaluate(fo, "plain", ("msd", 3.0), EVALUATION_SEEDS))
    report("original recipe, plain covariance, threshold 3.0",
           evaluate(fo, "plain", ("fixed", 3.0), EVALUATION_SEEDS))
    report(f"chosen recipe ({fc[NORMAL].shape[1]} features), {CHOSEN_COV}, "
           f"threshold {rule_name(CHOSEN_RULE)}",
           evaluate(fc, CHOSEN_COV, CHOSEN_RULE, EVALUATION_SEEDS))

    # Added 2026-12-03: the same evaluation at the rule tinyad's `default` recipe now uses.
    print("\n=== EVALUATION seeds 0..9 at cv-conformal 1 % (fitted on train + validation) ===")
    report("original recipe, plain covariance, threshold cv-conformal 1 %",
           evaluate(fo, "plain", NEW_RULE, EVALUATION_SEEDS))
    report(f"chosen recipe ({fc[NORMAL].shape[1]} features), {CHOSEN_COV}, threshold cv-conformal 1 %",
           evaluate(fc, CHOSEN_COV, NEW_RULE, EVALUATION_SEEDS))
    print_candidates_at_new_rule("Ledoit-Wolf", "lw", feats_of)

    # Added 2026-12-03: tinyad's `default` recipe fits probabilistic PCA instead of Ledoit-Wolf.
    print("\n=== cv-conformal 1 %, probabilistic PCA covariance (the `default` recipe's since 2026-12-03) ===")
    report(f"chosen recipe ({fc[NORMAL].shape[1]} features), ppca, threshold cv-conformal 1 %, EVALUATION seeds 0..9",
           evaluate(fc, "ppca", NEW_RULE, EVALUATION_SEEDS))
    print_candidates_at_new_rule("probabilistic PCA", "ppca", feats_of)


if __name__ == "__main__":
    main()
