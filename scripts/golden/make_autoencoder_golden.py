#!/usr/bin/python3
"""Golden values for tinyad's Keras .h5 import, computed independently with h5py/numpy/scipy.

Run:  /usr/bin/python3 scripts/golden/make_autoencoder_golden.py [--reference DIR] [--data DIR]

Writes tests/golden/autoencoder_h5.json: for each of the original's Keras autoencoders
(reference-models/autoencoder/*.h5), its weights as h5py reads them and its predictions on
the `original` recipe's MAD features (first 128 rows, per axis, scipy's median_abs_deviation
scaled by 1.4826) of a few real windows: the first two files of every label of the dataset.
Also the ReLU units that never fire on these windows. Predictions follow Keras' Dense definition, relu(x @ kernel + bias) layer by layer (Dropout is
the identity at inference), in float64 from the float32 weights.

Nothing here imports tinyad code. Debian's python3-h5py / python3-numpy / python3-scipy.
"""
import argparse
import glob
import json
import os

import h5py
import numpy as np
from scipy import stats

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SHARED = os.path.join(os.path.dirname(REPO), "shared")
OUT = os.path.join(REPO, "tests", "golden", "autoencoder_h5.json")


def mad_features(path):
    rows = np.loadtxt(path, delimiter=",", ndmin=2)[:128, :3]
    return stats.median_abs_deviation(rows, axis=0, scale=1 / 1.4826)


def keras_layers(path):
    """(class, activation, kernel, bias) per layer, from model_config and model_weights."""
    with h5py.File(path, "r") as f:
        config = json.loads(f.attrs["model_config"])
        out = []
        for layer in config["config"]["layers"]:
            cls, cfg = layer["class_name"], layer["config"]
            if cls != "Dense":
                out.append((cls, None, None, None))
                continue
            g = f["model_weights"][cfg["name"]]
            names = [n.decode() for n in g.attrs["weight_names"]]
            kernel = np.array(g[[n for n in names if n.endswith("kernel:0")][0]])
            bias = np.array(g[[n for n in names if n.endswith("bias:0")][0]])
            out.append((cls, cfg["activation"], kernel, bias))
        return out


def dead_units(layers, x):
    """ReLU units (1-based layer among Dense layers, 0-based unit) that never fire on x."""
    a = np.asarray(x, dtype=np.float64)
    dead, k = [], 0
    for cls, act, kernel, bias in layers:
        if cls != "Dense":
            continue
        k += 1
        a = a @ kernel.astype(np.float64) + bias.astype(np.float64)
        if act == "relu":
            a = np.maximum(a, 0.0)
            dead += [f"layer {k} unit {u}" for u in range(a.shape[1]) if not (a[:, u] > 0).any()]
    return dead


def predict(layers, x):
    a = np.asarray(x, dtype=np.float64)
    for cls, act, kernel, bias in layers:
        if cls != "Dense":
            continue
        a = a @ kernel.astype(np.float64) + bias.astype(np.float64)
        if act == "relu":
            a = np.maximum(a, 0.0)
    return a


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reference", default=os.path.join(SHARED, "reference-models"))
    ap.add_argument("--data", default=os.path.join(SHARED, "datasets", "ceiling-fan"))
    args = ap.parse_args()
    files = []
    for label in sorted(os.listdir(args.data)):
        names = sorted(n for n in os.listdir(os.path.join(args.data, label)) if n.endswith(".csv"))
        files += [f"{label}/{n}" for n in names[:2]]
    X = np.array([mad_features(os.path.join(args.data, f)) for f in files])
    models = {}
    for path in sorted(glob.glob(os.path.join(args.reference, "autoencoder", "*.h5"))):
        layers = keras_layers(path)
        Y = predict(layers, X)
        models[os.path.basename(path)] = {
            "layers": [{"class": c, "activation": a,
                        "kernel": None if k is None else k.astype(np.float64).tolist(),
                        "bias": None if b is None else b.astype(np.float64).tolist()} for c, a, k, b in layers],
            "predictions": Y.tolist(),
            "mse": ((Y - X) ** 2).mean(axis=1).tolist(),
            "dead_units": dead_units(layers, X),
        }
    doc = {"generator": "scripts/golden/make_autoencoder_golden.py (h5py " + h5py.__version__ +
                        ", numpy " + np.__version__ + ")",
           "files": files, "features": X.tolist(), "models": models}
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT}: {len(files)} windows, {len(models)} models")


if __name__ == "__main__":
    main()
