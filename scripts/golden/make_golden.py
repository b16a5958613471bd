#!/usr/bin/python3
"""Golden values for tinyad's unit tests, computed independently with numpy/scipy.

Run:  make golden          (or /usr/bin/python3 scripts/golden/make_golden.py [--reference DIR])

Writes
  tests/golden/features.json   synthetic windows (seeded numpy RNG) and numpy/scipy's value of
                               every feature group as core/tinyad_features.h defines them, for
                               several recipes; one raw FFT; ROC AUC with ties; numpy quantiles;
                               Ledoit-Wolf shrunk covariances; plain mean/covariance/distances.
  tests/golden/reference.json  derived numbers from the original system's files (never the raw
                               windows): the `original` recipe's MAD features of the two samples
                               in test-samples/normal_anomaly_samples.npz and their squared
                               Mahalanobis distances under mahalanobis/md_model-moving.npz.
                               Skipped with a message when the reference folder is missing.

Nothing here imports tinyad code: every formula is written from its numpy/scipy definition so that
the C++ tests compare two independent implementations. Debian's python3-numpy / python3-scipy.
"""
import argparse
import json
import os
import sys

import numpy as np
from scipy import stats

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
OUT_DIR = os.path.join(REPO, "tests", "golden")

MAD_SCALE = 1.4826
SENSOR_STEP = 0.000488  # g, the accelerometer's quantisation (DATA.md)
FS = 200.0  # Hz, nominal sample rate
LOG_GROUPS = {"std", "mad", "ptp", "bands", "bands_rel"}  # groups the recipe's log applies to


# ----------------------------------------------------------------------------- recipes
# Same JSON shape as src/recipe.cpp's recipe_to_json / recipe_from_json reads.
def recipe(name, window, groups, band_edges=None, log=False, log_eps=0.0):
    r = {"name": name, "window": window, "features": list(groups), "mad_scale": MAD_SCALE,
         "log": log}
    if band_edges is not None:
        r["band_edges"] = list(band_edges)
    if log:
        r["log_eps"] = log_eps
    return r


ALL_GROUPS = ["mean", "std", "mad", "skew", "kurt", "ptp", "crest", "corr", "bands", "bands_rel"]

RECIPES = [
    # Transcribed from src/recipe.cpp (the test checks that the named recipes still match).
    recipe("original", 128, ["mad"]),
    recipe("default", 200, ["mad", "kurt", "crest", "corr", "bands"],
           band_edges=[1 + 8 * b for b in range(17)], log=True, log_eps=1e-4),
    # Every group, even window (FFT 128, no padding), no log.
    recipe("all_even_128", 128, ALL_GROUPS, band_edges=[1, 3, 8, 20, 40, 65]),
    # Every group, odd window (zero padded to 128), log scale.
    recipe("all_odd_101_log", 101, ALL_GROUPS, band_edges=[1, 2, 5, 11, 30, 50, 65], log=True,
           log_eps=1e-6),
    # Every group, 200 rows padded to 256, bands up to the Nyquist bin, log of 0 allowed.
    recipe("all_200_log_eps0", 200, ALL_GROUPS, band_edges=[1, 9, 33, 100, 129], log=True,
           log_eps=0.0),
    # Smallest legal window, odd, FFT of 8.
    recipe("tiny_5", 5, ALL_GROUPS, band_edges=[1, 2, 5]),
]


# ----------------------------------------------------------------------------- features
def mad(x, scale):
    med = np.median(x)
    return scale * np.median(np.abs(x - med))


def band_energies(x, window, edges):
    """mean over each band's bins of |fft(xc * hann, N)|^2, DC dropped by the edges."""
    n_fft = 1
    while n_fft < window:
        n_fft *= 2
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(window) / window)  # periodic
    xc = x - x.mean()
    spec = np.fft.fft(xc * hann, n_fft)
    power = np.abs(spec) ** 2
    return np.array([power[edges[b]:edges[b + 1]].mean() for b in range(len(edges) - 1)])


def pearson(a, b):
    # The core's convention: 0 when either series is constant (numpy would give NaN).
    if np.all(a == a[0]) or np.all(b == b[0]):
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def group_values(group, w, r):
    """Values one group contributes for window w (window, 3), before any log."""
    axes = [w[:, a] for a in range(3)]
    const = [bool(np.all(x == x[0])) for x in axes]
    if group == "mean":
        return [float(np.mean(x)) for x in axes]
    if group == "std":
        return [float(np.std(x, ddof=0)) for x in axes]
    if group == "mad":
        return [float(mad(x, r["mad_scale"])) for x in axes]
    if group == "skew":  # scipy default bias=True; the core gives 0 for a constant axis
        return [0.0 if c else float(stats.skew(x)) for x, c in zip(axes, const)]
    if group == "kurt":  # scipy defaults fisher=True, bias=True
        return [0.0 if c else float(stats.kurtosis(x)) for x, c in zip(axes, const)]
    if group == "ptp":
        return [float(np.ptp(x)) for x in axes]
    if group == "crest":
        return [0.0 if c else float(np.max(np.abs(x - x.mean())) / np.std(x)) for x, c in
                zip(axes, const)]
    if group == "corr":
        return [pearson(axes[0], axes[1]), pearson(axes[0], axes[2]), pearson(axes[1], axes[2])]
    if group in ("bands", "bands_rel"):
        out = []
        for x in axes:
            e = band_energies(x, r["window"], r["band_edges"])
            if group == "bands_rel":
                total = e.sum()
                e = e / total if total > 0 else np.zeros_like(e)
            out.extend(float(v) for v in e)
        return out
    raise ValueError(group)


def recipe_features(rows, r):
    w = rows[: r["window"]]
    out = []
    for g in r["features"]:
        vals = group_values(g, w, r)
        if r["log"] and g in LOG_GROUPS:
            vals = [float(np.log(v + r["log_eps"])) if v + r["log_eps"] > 0 else None
                    for v in vals]
        out.extend(vals)
    return out


# ----------------------------------------------------------------------------- windows
def quantise(v):
    # Like the sensor: multiples of the step, written with 6 decimals as the CSV files are.
    return np.round(np.round(v / SENSOR_STEP) * SENSOR_STEP, 6)


def make_windows(rng):
    cases = []
    t200 = np.arange(200) / FS
    # Fan-like: 80 Hz line plus a slow rotation component and noise, quantised.
    x = 0.02 * np.sin(2 * np.pi * 80 * t200) + 0.01 * np.sin(2 * np.pi * 6.5 * t200 + 0.3)
    rows = np.stack([
        0.03 + x + 0.004 * rng.standard_normal(200),
        0.15 + 0.5 * x[::-1] + 0.004 * rng.standard_normal(200),
        0.98 + 0.01 * np.cos(2 * np.pi * 12 * t200) + 0.006 * rng.standard_normal(200),
    ], axis=1)
    cases.append(("fan_like_quantised_200", quantise(rows)))
    # Plain sine + Gaussian noise, not quantised (no ties in medians), 200 rows.
    rows = np.stack([
        np.sin(2 * np.pi * 5 * t200) + 0.1 * rng.standard_normal(200),
        0.5 * np.cos(2 * np.pi * 33 * t200) + 0.05 * rng.standard_normal(200),
        -1.0 + 0.2 * rng.standard_normal(200),
    ], axis=1)
    cases.append(("sine_noise_200", rows))
    # Skewed, heavy-tailed noise, 128 rows, quantised.
    rows = np.stack([
        rng.exponential(0.01, 128),
        rng.standard_t(3, 128) * 0.005,
        1.0 + rng.lognormal(-5, 0.8, 128),
    ], axis=1)
    cases.append(("skewed_quantised_128", quantise(rows)))
    # A constant axis (exactly representable, so mean - value is exactly 0), 200 rows.
    rows = np.stack([
        np.full(200, 2009.0 / 2048.0),
        quantise(0.01 * rng.standard_normal(200)),
        quantise(0.3 + 0.02 * np.sin(2 * np.pi * 40 * t200) + 0.003 * rng.standard_normal(200)),
    ], axis=1)
    cases.append(("constant_x_200", rows))
    # Correlated axes with an odd number of rows (137, more than some windows need).
    base = rng.standard_normal(137)
    rows = np.stack([base, 0.7 * base + 0.3 * rng.standard_normal(137),
                     -0.2 * base + rng.standard_normal(137)], axis=1) * 0.05
    cases.append(("correlated_137", quantise(rows)))
    return cases


# ----------------------------------------------------------------------------- other goldens
def fft_golden(rng):
    n = 256
    x = rng.standard_normal(n)
    spec = np.fft.fft(x)
    return {"input": x.tolist(), "output": [[float(c.real), float(c.imag)] for c in spec]}


def auc_mann_whitney(normal, anomaly):
    """P(anomaly > normal) + 0.5 P(tie), twice: scipy's U statistic and a rankdata sum."""
    u = stats.mannwhitneyu(anomaly, normal, alternative="two-sided").statistic
    auc_u = u / (len(anomaly) * len(normal))
    ranks = stats.rankdata(np.concatenate([normal, anomaly]))  # average ranks for ties
    r_a = ranks[len(normal):].sum()
    na, nn = len(anomaly), len(normal)
    auc_r = (r_a - na * (na + 1) / 2) / (na * nn)
    assert abs(auc_u - auc_r) < 1e-12, (auc_u, auc_r)
    return float(auc_u)


def auc_goldens(rng):
    out = []
    # Many ties: scores on a coarse grid.
    normal = np.round(rng.normal(0, 1, 40), 1)
    anomaly = np.round(rng.normal(0.8, 1, 25), 1)
    out.append({"name": "coarse_ties", "normal": normal.tolist(), "anomaly": anomaly.tolist()})
    # Continuous scores, overlapping classes.
    normal = rng.chisquare(3, 60)
    anomaly = rng.chisquare(3, 30) * 2.5
    out.append({"name": "continuous", "normal": normal.tolist(), "anomaly": anomaly.tolist()})
    # All tied: AUC 0.5.
    out.append({"name": "all_tied", "normal": [1.0] * 5, "anomaly": [1.0] * 3})
    # Perfect separation both ways.
    out.append({"name": "separated", "normal": [0.1, 0.2, 0.3], "anomaly": [0.5, 0.9]})
    out.append({"name": "inverted", "normal": [5.0, 6.0], "anomaly": [1.0, 2.0, 3.0]})
    for case in out:
        case["auc"] = auc_mann_whitney(np.array(case["normal"]), np.array(case["anomaly"]))
    return out


def quantile_goldens(rng):
    qs = [0.0, 0.01, 0.1, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0]
    out = []
    for name, values in [("normal_101", rng.normal(3, 1, 101)),
                         ("ties_20", np.round(rng.uniform(0, 5, 20))),
                         ("two", np.array([2.0, -1.0])),
                         ("one", np.array([4.25]))]:
        out.append({"name": name, "values": values.tolist(), "q": qs,
                    "quantile": [float(np.quantile(values, q)) for q in qs],
                    # The original notebook's threshold: mean + 3 * population sd (numpy std).
                    "mean_plus_3sd": float(np.mean(values) + 3 * np.std(values)),
                    "median": float(np.median(values))})
    return out


def ledoit_wolf_shrinkage(Z):
    """Shrinkage intensity as sklearn.covariance.ledoit_wolf_shrinkage defines it
    (assume_centered=False), written from its published formula."""
    Z = Z - Z.mean(axis=0)
    n, p = Z.shape
    Z2 = Z ** 2
    emp_cov_trace = Z2.sum(axis=0) / n
    mu = emp_cov_trace.sum() / p
    beta_ = np.sum(Z2.T @ Z2)
    delta_ = np.sum((Z.T @ Z) ** 2) / n ** 2
    beta = (beta_ / n - delta_) / (p * n)
    delta = (delta_ - 2.0 * mu * emp_cov_trace.sum() + p * mu ** 2) / p
    beta = min(beta, delta)
    return 0.0 if beta == 0 else beta / delta


def covariance_goldens(rng):
    """Plain and Ledoit-Wolf fits of small matrices, as src/model/mahalanobis.cpp should produce.

    Ledoit-Wolf is applied to standardised features (each column divided by its unbiased sd):
    shrunk = (1 - s) R + s * mean(diag R) * I with R the unbiased (N-1) covariance of the
    standardised rows and s sklearn's intensity computed on them; covariance = D shrunk D with
    D = diag(sd). (sklearn shrinks the biased N covariance; tinyad keeps the unbiased N-1
    convention of the rest of the model, which scales the result by N/(N-1), not the intensity.)
    """
    out = []
    scales = np.array([0.002, 0.5, 3.0, 40.0, 0.07, 1.0, 0.01, 5.0])
    for name, n, p in [("tall_30x4", 30, 4), ("wide_6x8", 6, 8), ("square_9x5", 9, 5)]:
        A = rng.standard_normal((p, p))
        X = (rng.standard_normal((n, p)) @ A) * scales[:p] + rng.normal(0, 3, p)
        mean = X.mean(axis=0)
        cov = np.cov(X, rowvar=False, ddof=1)
        sd = np.sqrt(np.diag(cov))
        Z = (X - mean) / sd
        s = ledoit_wolf_shrinkage(Z)
        R = np.cov(Z, rowvar=False, ddof=1)
        shrunk = (1 - s) * R + s * np.trace(R) / p * np.eye(p)
        lw_cov = np.outer(sd, sd) * shrunk
        case = {"name": name, "X": X.tolist(), "mean": mean.tolist(), "ledoit_wolf": {
            "shrinkage": float(s), "covariance": lw_cov.tolist(),
            "precision": np.linalg.inv(lw_cov).tolist()}}
        if n > p:
            d = X - mean
            prec = np.linalg.inv(cov)
            case["plain"] = {"covariance": cov.tolist(), "precision": prec.tolist(),
                             "sq_distances": np.einsum("ij,jk,ik->i", d, prec, d).tolist()}
        out.append(case)
    return out


# ----------------------------------------------------------------------------- reference
def reference_goldens(ref_dir):
    samples = np.load(os.path.join(ref_dir, "test-samples", "normal_anomaly_samples.npz"))
    model = np.load(os.path.join(ref_dir, "mahalanobis", "md_model-moving.npz"))
    mu, cov = model["model_mu"], model["model_cov"]
    prec = np.linalg.inv(cov)
    out = {"source": "reference-models: test-samples/normal_anomaly_samples.npz, "
                     "mahalanobis/md_model-moving.npz",
           "window": 128, "mad_scale": MAD_SCALE, "samples": {}}
    for key in ("normal_sample", "anomaly_sample"):
        w = samples[key][:128]
        feats = np.array([mad(w[:, a], MAD_SCALE) for a in range(3)])
        # Cross-check with scipy's own MAD (scale divides: 1/1.4826 multiplies by 1.4826).
        check = stats.median_abs_deviation(w, axis=0, scale=1.0 / MAD_SCALE)
        assert np.allclose(feats, check, rtol=1e-12, atol=0), (feats, check)
        d = feats - mu
        out["samples"][key] = {"features": feats.tolist(), "sq_distance": float(d @ prec @ d)}
    return out


# ----------------------------------------------------------------------------- main
def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1, allow_nan=False)
        f.write("\n")
    os.replace(tmp, path)
    print(f"wrote {os.path.relpath(path, REPO)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reference", default=os.environ.get("TINYAD_REFERENCE",
                                                          "/work/shared/reference-models"),
                    help="the original system's files (default: $TINYAD_REFERENCE or "
                         "/work/shared/reference-models)")
    args = ap.parse_args()
    os.makedirs(OUT_DIR, exist_ok=True)

    rng = np.random.default_rng(20240611)
    cases = []
    for name, rows in make_windows(rng):
        feats = {}
        for r in RECIPES:
            if len(rows) >= r["window"]:
                values = recipe_features(rows, r)
                if None not in values:  # log(0) with log_eps 0 has no numpy value to compare
                    feats[r["name"]] = values
        cases.append({"name": name, "rows": rows.tolist(), "features": feats})
    features = {
        "generator": "scripts/golden/make_golden.py (numpy %s, scipy %s)" % (
            np.__version__, __import__("scipy").__version__),
        "recipes": RECIPES,
        "cases": cases,
        "fft": fft_golden(rng),
        "auc": auc_goldens(rng),
        "quantile": quantile_goldens(rng),
        "covariance": covariance_goldens(rng),
    }
    write_json(os.path.join(OUT_DIR, "features.json"), features)

    if os.path.isdir(args.reference):
        ref = reference_goldens(args.reference)
        ref["generator"] = features["generator"]
        write_json(os.path.join(OUT_DIR, "reference.json"), ref)
    else:
        print(f"{args.reference}: not found; tests/golden/reference.json left as it is",
              file=sys.stderr)


if __name__ == "__main__":
    main()
