#!/usr/bin/python3
"""make_ppca_golden.py > tests/golden/ppca.json: the probabilistic-PCA covariance
(Tipping & Bishop 1999) that `mahalanobis_fit(..., Shrinkage::Ppca)` must give,
computed here with numpy only, independently of tinyad's code.

On the standardised rows (unbiased sd), R is the correlation matrix; its
eigenvalues above 1 (Kaiser's rule; at least one, at most p - 1) keep their
directions and variances, the others are replaced by their mean sigma2:
R_ppca = V_k diag(lam_k) V_k' + sigma2 (I - V_k V_k'). The covariance is
D R_ppca D with D = diag(sd); the precision its inverse."""
import json

import numpy as np


def ppca(X):
    n, p = X.shape
    mean = X.mean(axis=0)
    sd = X.std(axis=0, ddof=1)
    Z = (X - mean) / sd
    R = Z.T @ Z / (n - 1)
    lam, V = np.linalg.eigh(R)
    lam, V = lam[::-1], V[:, ::-1]
    k = min(max(int((lam > 1.0).sum()), 1), p - 1)
    sigma2 = lam[k:].mean()
    Vk = V[:, :k]
    Rp = Vk @ np.diag(lam[:k]) @ Vk.T + sigma2 * (np.eye(p) - Vk @ Vk.T)
    cov = np.diag(sd) @ Rp @ np.diag(sd)
    return k, cov, np.linalg.inv(cov)


def case(name, X):
    k, cov, prec = ppca(X)
    return {"name": name, "X": X.tolist(), "components": k, "covariance": cov.tolist(), "precision": prec.tolist()}


rng = np.random.default_rng(20261203)
cases = []
# Two latent factors behind 8 features, unequal units: Kaiser keeps 2.
W = rng.normal(size=(2, 8)) * 1.5
X = (rng.normal(size=(120, 2)) @ W + 0.4 * rng.normal(size=(120, 8))) * np.array([1, 10, 0.1, 3, 1, 2, 5, 0.5])
cases.append(case("two_factors_120x8", X))
# No structure: every eigenvalue near 1, Kaiser keeps a few by chance.
cases.append(case("noise_200x6", rng.normal(size=(200, 6)) + 3.0))
# One strong factor among 12 features, few windows (n just above p).
f = rng.normal(size=(15, 1))
cases.append(case("one_factor_15x12", f @ rng.normal(size=(1, 12)) + 0.3 * rng.normal(size=(15, 12))))
print(json.dumps({"generator": "scripts/golden/make_ppca_golden.py (numpy " + np.__version__ + ")", "cases": cases}))
