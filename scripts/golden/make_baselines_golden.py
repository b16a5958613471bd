#!/usr/bin/python3
"""Golden values for per-device baselines (src/service/device_baselines.h, `tinyad serve --learn`).

Run:  /usr/bin/python3 scripts/golden/make_baselines_golden.py   (also part of `make golden`)

Writes tests/golden/baselines.json: a fixed sequence of correlated 3-feature vectors (seeded numpy
RNG) as one device would send them, and what a learn -> calibrate -> monitor baseline must make of
it, written from the definitions with numpy, not from tinyad code:
  - the first `learn` vectors: mean, unbiased (N-1) covariance and its inverse (the precision);
  - the next `calibrate` vectors: squared Mahalanobis distances, threshold = mean + sd_factor *
    population sd (ddof 0) of those scores;
  - the rest: scores and whether each exceeds the threshold (a few are pushed far out on purpose).
"""
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(os.path.dirname(HERE)), "tests", "golden", "baselines.json")

LEARN, CALIBRATE, MONITOR, SD_FACTOR = 40, 12, 10, 2.5


def main():
    rng = np.random.RandomState(20261128)
    mix = np.array([[1.0, 0.0, 0.0], [0.6, 0.8, 0.0], [-0.3, 0.2, 0.5]])
    x = rng.standard_normal((LEARN + CALIBRATE + MONITOR, 3)) @ mix.T * [0.02, 0.05, 0.01] + [0.3, -1.2, 2.0]
    # Three monitored windows far from the baseline: they must come out anomalous.
    for i, shift in ((LEARN + CALIBRATE + 2, [0.2, 0.0, 0.0]), (LEARN + CALIBRATE + 5, [0.0, 0.0, -0.1]),
                     (LEARN + CALIBRATE + 9, [0.1, 0.3, 0.05])):
        x[i] += shift

    learn = x[:LEARN]
    mean = learn.mean(axis=0)
    cov = np.cov(learn, rowvar=False, ddof=1)
    precision = np.linalg.inv(cov)

    def score(v):
        d = v - mean
        return float(d @ precision @ d)

    cal = np.array([score(v) for v in x[LEARN:LEARN + CALIBRATE]])
    threshold = float(cal.mean() + SD_FACTOR * cal.std(ddof=0))
    mon = [score(v) for v in x[LEARN + CALIBRATE:]]
    out = {
        "learn": LEARN,
        "calibrate": CALIBRATE,
        "sd_factor": SD_FACTOR,
        "features": x.tolist(),
        "mean": mean.tolist(),
        "precision": precision.tolist(),
        "calibration_scores": cal.tolist(),
        "threshold": threshold,
        "monitor_scores": mon,
        "monitor_anomaly": [s > threshold for s in mon],
    }
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("wrote", OUT, "threshold", threshold, "anomalies", sum(out["monitor_anomaly"]))


if __name__ == "__main__":
    main()
