#!/usr/bin/python3
"""The original Python pipeline's work on the whole dataset, for comparison
with tinyad (bench/RESULTS.md): numpy.genfromtxt per file, per-axis MAD
(scale 1.4826, first 128 rows), mean/covariance of the normal label, squared
Mahalanobis distance of every window. Written for this benchmark from the
original's description; run with Debian's numpy/scipy:
    /usr/bin/python3 bench/original_pipeline.py DATASET
"""
import os
import sys
import time

import numpy as np
from scipy import stats


def main(root):
    t0 = time.perf_counter()
    feats, labels = [], []
    for label in sorted(os.listdir(root)):
        folder = os.path.join(root, label)
        for name in sorted(os.listdir(folder)):
            window = np.genfromtxt(os.path.join(folder, name), delimiter=",")[:128]
            # scipy >= 1.9 spells the original's median_absolute_deviation(scale=1.4826) this way.
            feats.append(stats.median_abs_deviation(window, axis=0, scale=1 / 1.4826))
            labels.append(label)
    x = np.array(feats)
    normal = x[np.array(labels) == "fan_0_low_0_weight-moving"]
    mu, cov = normal.mean(axis=0), np.cov(normal.T)
    inv = np.linalg.inv(cov)
    d = x - mu
    scores = np.einsum("ij,jk,ik->i", d, inv, d)
    elapsed = time.perf_counter() - t0
    print(f"{len(x)} files, {elapsed:.3f} s (load + MAD + covariance + scores); max score {scores.max():.3g}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.environ["TINYAD_DATA"])
