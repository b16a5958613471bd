#!/usr/bin/python3
"""Issue-11 x12: feature variants under today's detector (PPCA Kaiser) and rule (cv-conformal 1 %).
Usage: run12.py SET [variant-name ...]   SET in fan0, fan10, sim0.  Prints table rows + extras."""
import os, sys, json
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np
import feats12 as f12
import detectors as D
from harness import *

V = {
 "today": f12.TODAY,
 "W64med": ["mad", "kurt", "crest", "corr", "bandsW64med"],
 "W64mean": ["mad", "kurt", "crest", "corr", "bandsW64mean"],
 "W100med": ["mad", "kurt", "crest", "corr", "bandsW100med"],
 "W128med": ["mad", "kurt", "crest", "corr", "bandsW128med"],
 "nokc": ["mad", "corr", "bands"],
 "robshape": ["mad", "okurt", "qcrest", "corr", "bands"],
 "win3": ["mad", "win3:kurt", "win3:crest", "win3:corr", "win3:bands"],
 "win4": ["mad", "win4:kurt", "win4:crest", "win4:corr", "win4:bands"],
 "+rel": f12.TODAY + ["relbands"],
 "W64med+rob": ["mad", "okurt", "qcrest", "corr", "bandsW64med"],
 "W64med-kc": ["mad", "corr", "bandsW64med"],
 "W64med+rel": ["mad", "kurt", "crest", "corr", "bandsW64med", "relW64"],
}

V.update({
 "win3:bands": ["mad", "kurt", "crest", "corr", "win3:bands"],
 "win3:kc": ["mad", "win3:kurt", "win3:crest", "corr", "bands"],
 "win3:corr": ["mad", "kurt", "crest", "win3:corr", "bands"],
 "win3:kcc": ["mad", "win3:kurt", "win3:crest", "win3:corr", "bands"],
 "win2.5": ["mad", "win2.5:kurt", "win2.5:crest", "win2.5:corr", "win2.5:bands"],
 "win3.5": ["mad", "win3.5:kurt", "win3.5:crest", "win3.5:corr", "win3.5:bands"],
 "win5": ["mad", "win5:kurt", "win5:crest", "win5:corr", "win5:bands"],
 "W100med+win3kcc": ["mad", "win3:kurt", "win3:crest", "win3:corr", "bandsW100med"],
 "W100med+rel": ["mad", "kurt", "crest", "corr", "bandsW100med", "relW100"],
 "W80med": ["mad", "kurt", "crest", "corr", "bandsW80med"],
 "W120med": ["mad", "kurt", "crest", "corr", "bandsW120med"],
 "W100mean": ["mad", "kurt", "crest", "corr", "bandsW100mean"],
 "W100med-kc": ["mad", "corr", "bandsW100med"],
})

V.update({
 "win2.5:bands": ["mad", "kurt", "crest", "corr", "win2.5:bands"],
 "win3.5:bands": ["mad", "kurt", "crest", "corr", "win3.5:bands"],
 "win4:bands": ["mad", "kurt", "crest", "corr", "win4:bands"],
 "win5:bands": ["mad", "kurt", "crest", "corr", "win5:bands"],
 "win3:W100med": ["mad", "kurt", "crest", "corr", "win3:bandsW100med"],
 "win4:W100med": ["mad", "kurt", "crest", "corr", "win4:bandsW100med"],
 "win3:bands+bands": ["mad", "kurt", "crest", "corr", "bands", "win3:bands"],
})

V.update({
 "win2.5:W100med": ["mad", "kurt", "crest", "corr", "win2.5:bandsW100med"],
 "win3:W80med": ["mad", "kurt", "crest", "corr", "win3:bandsW80med"],
 "win3:W64med": ["mad", "kurt", "crest", "corr", "win3:bandsW64med"],
 "win3:W100med-kc": ["mad", "corr", "win3:bandsW100med"],
 "win3all:W100med": ["mad", "win3:kurt", "win3:crest", "win3:corr", "win3:bandsW100med"],
 "win3:W100mean": ["mad", "kurt", "crest", "corr", "win3:bandsW100mean"],
})

V.update({
 "gate2:bands": ["mad", "kurt", "crest", "corr", "gate2:bands"],
 "gate3:bands": ["mad", "kurt", "crest", "corr", "gate3:bands"],
 "gate2:kcb": ["mad", "gate2:kurt", "gate2:crest", "corr", "gate2:bands"],
 "gate3:kcb": ["mad", "gate3:kurt", "gate3:crest", "corr", "gate3:bands"],
 "gate2:win3:bands": ["mad", "kurt", "crest", "corr", "gate2:win3:bands"],
})

V.update({
 "win2.5:bands-mad": ["kurt", "crest", "corr", "win2.5:bands"],
 "win3:bands-mad": ["kurt", "crest", "corr", "win3:bands"],
 "win3:bands-kc": ["mad", "corr", "win3:bands"],
 "win2.5:bands-kc": ["mad", "corr", "win2.5:bands"],
 "win2.5:W100med-kc": ["mad", "corr", "win2.5:bandsW100med"],
 "win3:bands+okurt": ["mad", "okurt", "qcrest", "corr", "win3:bands"],
})

SETS = {"fan0": (os.environ.get("TINYAD_DATA", "../shared/datasets/ceiling-fan"), range(0, 10)),
        "fan10": (os.environ.get("TINYAD_DATA", "../shared/datasets/ceiling-fan"), range(10, 20)),
        "sim0": (os.environ.get("TINYAD_SIM", "sim"), range(0, 10))}
MK = lambda X: D.PPCA(X, "kaiser")
_raw = {}


def feats(root, spec):
    if root not in _raw:
        _raw[root] = rs.load_dataset(root, [NORMAL] + TARGETS + OTHERS)
    return {l: f12.features(w, spec) for l, w in _raw[root].items()}


def evaluate_x(F, seeds, P=None):
    P = float(__import__('os').environ.get('P', 0.01)) if P is None else P
    """harness.evaluate plus: held-out score of every normal window per seed (out-of-fold for the
    240 fit windows, final detector for the 59 test ones) -> windows above med_0's 1st percentile;
    oracle (docs/thresholds.md): fit on train only, least FA on val+test at 99 % of each label."""
    Fn = F[NORMAL]
    res = {"fa_k": [], "fa_n": [], "above": [], "orc": {l: [0, 0] for l in TARGETS}}
    for l in TARGETS + OTHERS:
        res[l] = []
    for seed in seeds:
        tr, va, te = tinyad_split(len(Fn), seed)
        fit = np.sort(np.concatenate([tr, va])); X = Fn[fit]; n = len(X)
        folds = rs.cv_folds(n, 10, seed)
        oof = np.empty(n)
        for f in range(10):
            out = folds == f
            oof[out] = MK(X[~out]).stats(X[out])[:, 0]
        thr = np.sort(oof)[conformal_k(n, P) - 1]
        det = MK(X)
        st = det.stats(Fn[te])[:, 0]
        res["fa_k"].append((st > thr).sum()); res["fa_n"].append(len(te))
        for l in TARGETS + OTHERS:
            res[l].append((det.stats(F[l])[:, 0] > thr).mean())
        held = np.empty(len(Fn)); held[fit] = oof; held[te] = st
        q01 = np.quantile(det.stats(F["fan_0_med_0_weight"])[:, 0], 0.01)
        res["above"].append(np.where(held >= q01)[0])
        d0 = MK(Fn[tr]); ho = d0.stats(Fn[np.concatenate([va, te])])[:, 0]
        for l in TARGETS:
            s_ = np.sort(d0.stats(F[l])[:, 0]); t = s_[int(np.floor(0.01 * len(s_)))]  # as bench/thresholds/oracle.py
            res["orc"][l][0] += (ho >= t).sum(); res["orc"][l][1] += len(ho)
    for k in ["fa_k", "fa_n"] + TARGETS + OTHERS:
        res[k] = np.array(res[k])
    return res


def row(name, r):
    k, n = r["fa_k"].sum(), r["fa_n"].sum(); lo, hi = cp(k, n)
    excl = sum(1 for a, b in zip(r["fa_k"], r["fa_n"]) if not (cp(a, b)[0] <= 0.01 <= cp(a, b)[1]))
    c = [name, f"{100*k/n:.2f} ({100*lo:.2f}-{100*hi:.2f}) [{excl}]"]
    c += [f"{100*r[l].mean():.1f} ({100*r[l].min():.1f})" for l in TARGETS]
    c += [f"{100*r[l].mean():.1f} ({100*r[l].max():.1f})" for l in OTHERS]
    c += [" / ".join(f"{100*a/b:.2f}" for a, b in r["orc"].values())]
    c += [f"{np.mean([len(a) for a in r['above']]):.1f}"]
    return "| " + " | ".join(c) + " |"


HDR = ("| variant | held-out FA % (95% CI) [seeds CI excl 1%] | med_0 (worst) | med_1 | high_0 | high_1 | "
       "low_0 other (max) | low_1 other (max) | oracle FA % med_0/med_1/high_0/high_1 | normals >= q01(med_0) per seed |")

if __name__ == "__main__":
    set_ = sys.argv[1]
    names = sys.argv[2:] or list(V)
    root, seeds = SETS[set_]
    print(f"**{set_}** {HDR}")
    for nm in names:
        r = evaluate_x(feats(root, V[nm]), seeds)
        print(row(nm, r), flush=True)
        if set_.startswith("fan"):
            from collections import Counter
            c = Counter(int(i) for a in r["above"] for i in a)
            print("   above-q01 windows (id:seeds):", " ".join(f"{i}:{m}" for i, m in sorted(c.items(), key=lambda t: -t[1])[:25]), flush=True)
