#!/usr/bin/python3
"""Golden values for commissioning a mounting (core/tinyad_commission.h, `tinyad serve --commission K`).

Run:  /usr/bin/python3 scripts/golden/make_commission_golden.py   (also part of `make golden`)

Writes tests/golden/commission.json: a fixed sequence of 5-feature vectors (seeded numpy RNG) as one
device sends them, and what commissioning must make of it, written from the definitions with numpy
(leave-one-out by actually deleting each row, not by the core's update formula):
  - the first K vectors: mean, sample sd (ddof 1) floored at sd_floor * fleet_sd;
  - threshold = margin * max over j of the mean squared z-score of window j against the mean and
    floored sd of the other K-1 windows;
  - then each monitored vector: score = mean squared z-score against the current mean; anomalous when
    score > threshold; when score <= track_below * threshold the mean moves by track_rate towards it,
    clipped to origin +- track_bound * sd (one feature has a tiny sd so its floor is used; a slow ramp
    pushes the tracked mean against its bound).
"""
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(os.path.dirname(HERE)), "tests", "golden", "commission.json")

K, MONITOR = 12, 40
SD_FLOOR, MARGIN, TRACK_RATE, TRACK_BELOW, TRACK_BOUND = 0.1, 1.5, 0.05, 0.5, 0.1


def main():
    rng = np.random.RandomState(20261129)
    n = 5
    scale = np.array([0.02, 0.5, 1e-6, 0.1, 3.0])  # feature 2 is almost constant: its floor applies
    centre = np.array([0.3, -1.2, 2.0, 0.0, 10.0])
    fleet_sd = np.array([0.05, 1.0, 0.01, 0.2, 5.0])
    x = centre + rng.standard_normal((K + MONITOR, n)) * scale
    # A slow ramp on feature 0 over the monitored windows, and three far-out windows.
    x[K:, 0] += np.linspace(0, 0.02, MONITOR)
    for i, shift in ((K + 5, [0.3, 0, 0, 0, 0]), (K + 17, [0, 0, 0.5, 0, 0]), (K + 30, [0, 3.0, 0, 0.5, 0])):
        x[i] += shift

    w = x[:K]
    mean = w.mean(axis=0)
    sd = np.maximum(w.std(axis=0, ddof=1), SD_FLOOR * fleet_sd)
    loo = []
    for j in range(K):
        o = np.delete(w, j, axis=0)
        m = o.mean(axis=0)
        s = np.maximum(o.std(axis=0, ddof=1), SD_FLOOR * fleet_sd)
        loo.append(float(np.mean(((w[j] - m) / s) ** 2)))
    threshold = MARGIN * max(loo)
    origin = mean.copy()
    cur = mean.copy()
    scores, anomaly, tracked, means = [], [], [], []
    for v in x[K:]:
        sc = float(np.mean(((v - cur) / sd) ** 2))
        scores.append(sc)
        anomaly.append(sc > threshold)
        t = sc <= TRACK_BELOW * threshold
        tracked.append(bool(t))
        if t:
            cur = np.clip(cur + TRACK_RATE * (v - cur), origin - TRACK_BOUND * sd, origin + TRACK_BOUND * sd)
        means.append(cur.tolist())
    out = {
        "windows": K, "sd_floor": SD_FLOOR, "margin": MARGIN, "track_rate": TRACK_RATE,
        "track_below": TRACK_BELOW, "track_bound": TRACK_BOUND,
        "fleet_sd": fleet_sd.tolist(), "features": x.tolist(),
        "mean": mean.tolist(), "sd": sd.tolist(), "loo_scores": loo, "threshold": threshold,
        "monitor_scores": scores, "monitor_anomaly": anomaly, "monitor_tracked": tracked,
        "monitor_means": means, "clipped": bool(np.any(np.isclose(np.abs(np.array(means) - origin), TRACK_BOUND * sd))),
    }
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("wrote", OUT, "threshold", threshold, "anomalies", sum(anomaly), "tracked", sum(tracked))


if __name__ == "__main__":
    main()
