#!/usr/bin/python3
"""stats.py: per-label statistics of a dataset folder, the ones the simulator
is calibrated on: per axis the median over windows of the MAD feature
(first 128 rows, x 1.4826), of the standard deviation, the mean power of the
80 Hz line (Hann-windowed FFT of 200 rows, bins 79-81), of the 3-15 Hz band
(rotation and structure) and of the 15-75 Hz band.

  stats.py DATASET [--json]            one dataset
  stats.py REAL SIMULATED --markdown   the calibration table of docs/simulator.md

The JSON of the real dataset is committed as tests/golden/ceiling_fan_stats.json
(the simulator test compares its own output against it):
  /usr/bin/python3 scripts/simulator/stats.py ../shared/datasets/ceiling-fan --json > tests/golden/ceiling_fan_stats.json
"""
import json
import os
import sys

import numpy as np

N_FEATURE = 128
N_FFT = 200
MAD_SCALE = 1.4826


def label_stats(folder):
    files = sorted(f for f in os.listdir(folder) if f.endswith(".csv"))
    w = np.array([np.loadtxt(os.path.join(folder, f), delimiter=",") for f in files])[:, :N_FFT, :]
    head = w[:, :N_FEATURE, :]
    mad = MAD_SCALE * np.median(np.abs(head - np.median(head, axis=1, keepdims=True)), axis=1)
    std = w.std(axis=1)
    x = (w - w.mean(axis=1, keepdims=True)) * np.hanning(N_FFT)[None, :, None]
    p = np.abs(np.fft.rfft(x, axis=1)) ** 2
    return {
        "windows": len(files),
        "mad": np.median(mad, axis=0).tolist(),
        "std": np.median(std, axis=0).tolist(),
        "p80": p[:, 79:82, :].sum(axis=1).mean(axis=0).tolist(),
        "p3_15": p[:, 3:16, :].sum(axis=1).mean(axis=0).tolist(),
        "p15_75": p[:, 16:76, :].sum(axis=1).mean(axis=0).tolist(),
        "mean": w.mean(axis=(0, 1)).tolist(),
    }


def dataset_stats(root):
    return {lab: label_stats(os.path.join(root, lab)) for lab in sorted(os.listdir(root))
            if os.path.isdir(os.path.join(root, lab))}


def markdown(real, sim):
    rows = ["| label | stat | x real | x sim | y real | y sim | z real | z sim |",
            "|---|---|---:|---:|---:|---:|---:|---:|"]
    fmt = {"mad": ("MAD (g)", "{:.4f}"), "std": ("RMS (g)", "{:.4f}"), "p80": ("80 Hz line power", "{:.3g}"),
           "p3_15": ("3-15 Hz power", "{:.3g}"), "p15_75": ("15-75 Hz power", "{:.3g}")}
    for lab in real:
        if lab not in sim:
            continue
        for key, (name, f) in fmt.items():
            cells = []
            for a in range(3):
                cells += [f.format(real[lab][key][a]), f.format(sim[lab][key][a])]
            rows.append(f"| {lab} | {name} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if "--markdown" in sys.argv:
        print(markdown(dataset_stats(args[0]), dataset_stats(args[1])))
    else:
        print(json.dumps(dataset_stats(args[0]), indent=1))


if __name__ == "__main__":
    main()
