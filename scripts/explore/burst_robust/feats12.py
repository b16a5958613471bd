"""Feature variants for issue 11 (x12). Base = recipe_search.features(CHOSEN) (tinyad `default`:
mad,kurt,crest,corr,bands; W=200; 16 bands of 8 bins of a 256-point periodic-Hann FFT, bins 1..128;
log(f + 1e-4) on mad and bands).  A spec is a list of group names; new groups:

  bands        as today (one Hann periodogram of the whole window, mean over the band's bins)
  bandsW{L}{m} Welch: segments of L samples, hop L/4, each mean-removed, periodic Hann of length L,
               zero-padded to N=256 (same bins/edges as today), |X_k|^2 scaled by
               sum(w200^2)/sum(wL^2) so a stationary signal gives today's level; then across
               segments per bin: m = 'med' median (/ scipy's median bias for that count),
               'mean' mean (plain Welch, control); band = mean over the band's bins; log(.+1e-4)
  relbands     (added) log band - median of the 16 log bands of the same axis (spectral shape)
  okurt        Moors' octile kurtosis (E7-E5+E3-E1)/(E6-E2), octiles by np.quantile (linear)
  qcrest       q99(|x-med|) / (1.4826 MAD)   (robust peak-to-spread)
  win{c}:G     group G computed on the axis winsorised at median +- c*1.4826*MAD
"""
import os
import sys
import numpy as np
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import recipe_search as rs
from scipy.signal._spectral_py import _median_bias

E16 = rs.E16
EPS = 1e-4
N = 256


def hann(L):
    return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(L) / L)


def welch_bands(x, L, how="med", hop=None):
    """x: (n, 200) one axis."""
    n, W = x.shape
    hop = hop or L // 4
    starts = list(range(0, W - L + 1, hop))
    w = hann(L)
    scale = (hann(W) ** 2).sum() / (w ** 2).sum()
    Ps = []
    for s in starts:
        seg = x[:, s:s + L]
        seg = seg - seg.mean(axis=1, keepdims=True)
        Ps.append(np.abs(np.fft.rfft(seg * w, n=N, axis=1)) ** 2 * scale)
    Ps = np.stack(Ps)                       # (S, n, 129)
    if how == "med":
        P = np.median(Ps, axis=0) / _median_bias(len(starts))
    else:
        P = Ps.mean(axis=0)
    return np.stack([P[:, E16[b]:E16[b + 1]].mean(axis=1) for b in range(16)], axis=1)


def winsorise(x, c):
    med = np.median(x, axis=1, keepdims=True)
    s = 1.4826 * np.median(np.abs(x - med), axis=1, keepdims=True)
    return np.clip(x, med - c * s, med + c * s)


def gate(x, c, B=20):
    """Envelope limiter: mean-removed axis cut into blocks of B samples; a block whose RMS exceeds
    c x the median block RMS is scaled down to c x that median (bursts cannot dominate)."""
    xc = x - x.mean(axis=1, keepdims=True)
    n, W = xc.shape
    blk = xc.reshape(n, W // B, B)
    r = np.sqrt((blk ** 2).mean(axis=2))
    m = np.median(r, axis=1, keepdims=True)
    g = np.where(r > c * m, c * m / np.maximum(r, 1e-300), 1.0)
    return (blk * g[:, :, None]).reshape(n, W)


def axis_group(x, g):
    if g.startswith("gate"):
        c, g2 = g[4:].split(":", 1)
        return axis_group(gate(x, float(c)), g2)
    if g.startswith("win"):
        c, g2 = g[3:].split(":", 1)
        return axis_group(winsorise(x, float(c)), g2)
    if g in ("mad", "kurt", "crest", "bands", "skew", "std", "ptp"):
        f = rs.axis_features(x, g, rs.CHOSEN)
        return np.log(f + EPS) if g in rs.SCALE_GROUPS else f
    if g.startswith("bandsW"):
        how = "med" if g.endswith("med") else "mean"
        L = int(g[6:].replace("med", "").replace("mean", ""))
        return np.log(welch_bands(x, L, how) + EPS)
    if g == "relbands":
        f = np.log(rs.axis_features(x, "bands", rs.CHOSEN) + EPS)
        return f - np.median(f, axis=1, keepdims=True)
    if g.startswith("relW"):
        L = int(g[4:])
        f = np.log(welch_bands(x, L, "med") + EPS)
        return f - np.median(f, axis=1, keepdims=True)
    if g == "okurt":
        q = np.quantile(x, [1/8, 2/8, 3/8, 5/8, 6/8, 7/8], axis=1)
        return (((q[5] - q[3]) + (q[2] - q[0])) / np.maximum(q[4] - q[1], 1e-12))[:, None]
    if g == "qcrest":
        med = np.median(x, axis=1, keepdims=True)
        a = np.abs(x - med)
        s = 1.4826 * np.median(a, axis=1)
        return (np.quantile(a, 0.99, axis=1) / np.maximum(s, 1e-12))[:, None]
    raise ValueError(g)


def features(windows, spec):
    X = np.stack([w[:200] for w in windows])
    cols = []
    for g in spec:
        if g == "corr" or g.startswith("win") and g.endswith(":corr"):
            Y = X if g == "corr" else np.stack([winsorise(X[:, :, a], float(g[3:].split(":")[0])) for a in range(3)], axis=2)
            cols.append(rs.corr_features(Y))
            continue
        for a in range(3):
            cols.append(axis_group(X[:, :, a], g))
    return np.concatenate(cols, axis=1)


TODAY = ["mad", "kurt", "crest", "corr", "bands"]
