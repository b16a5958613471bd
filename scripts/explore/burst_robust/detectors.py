"""Candidate detectors. Each: make(X_fit) -> object with .stats(F) -> (m, K) matrix of scores."""
import numpy as np
import recipe_search as rs

# feature groups of the default recipe (60 columns)
GROUPS_5 = {"mad": range(0, 3), "kurt": range(3, 6), "crest": range(6, 9), "corr": range(9, 12),
            "bands": range(12, 60)}
GROUPS_7 = {"mad": range(0, 3), "kurt": range(3, 6), "crest": range(6, 9), "corr": range(9, 12),
            "bands_x": range(12, 28), "bands_y": range(28, 44), "bands_z": range(44, 60)}
# 16 band-frequency groups: band b of x, y, z (the 80 Hz line is band 12) + the 12 shape features
GROUPS_BANDFREQ = {f"b{b}": [12 + b, 28 + b, 44 + b] for b in range(16)}
GROUPS_BANDFREQ["shape"] = list(range(12))


class Std:
    def __init__(self, X):
        self.mu = X.mean(axis=0)
        self.sd = X.std(axis=0, ddof=1)
        self.sd[self.sd == 0] = 1.0

    def z(self, F):
        return (F - self.mu) / self.sd


class MD:
    """LW (or fixed s) shrunk Mahalanobis on standardised features (today's detector when s=None)."""
    def __init__(self, X, s=None, cols=None):
        self.cols = list(cols) if cols is not None else list(range(X.shape[1]))
        X = X[:, self.cols]
        self.st = Std(X)
        Z = self.st.z(X)
        p = Z.shape[1]
        C = np.cov(Z, rowvar=False, ddof=1).reshape(p, p)
        if s is None:
            s = rs.ledoit_wolf_intensity(Z)
        self.s = s
        C = (1 - s) * C + s * np.trace(C) / p * np.eye(p)
        self.P = np.linalg.inv(C)

    def score(self, F):
        Z = self.st.z(F[:, self.cols])
        return np.einsum("ij,jk,ik->i", Z, self.P, Z)

    def stats(self, F):
        return self.score(F)[:, None]


def n_components(ev, n, p, rule, Z=None, rng_seed=0):
    if rule.startswith("cv"):         # cumulative variance, e.g. cv90
        frac = float(rule[2:]) / 100
        return int(np.searchsorted(np.cumsum(ev) / ev.sum(), frac) + 1)
    if rule == "pa":                  # Horn's parallel analysis, 95th percentile of 50 permutations
        rng = np.random.default_rng(rng_seed)
        sims = []
        for _ in range(50):
            Zp = np.column_stack([rng.permutation(Z[:, j]) for j in range(p)])
            sims.append(np.linalg.eigvalsh(np.cov(Zp, rowvar=False))[::-1])
        q = np.quantile(np.array(sims), 0.95, axis=0)
        k = 0
        while k < p and ev[k] > q[k]:
            k += 1
        return max(k, 1)
    if rule == "kaiser":
        return max(int((ev > 1.0).sum()), 1)
    if rule.startswith("k"):
        return int(rule[1:])
    raise ValueError(rule)


class PCA:
    """PCA on standardised features (correlation matrix). stats: [T2, Q] (or one of them / sum)."""
    def __init__(self, X, rule="cv90", out="both"):
        self.st = Std(X)
        Z = self.st.z(X)
        n, p = Z.shape
        C = np.cov(Z, rowvar=False, ddof=1)
        ev, V = np.linalg.eigh(C)
        ev, V = ev[::-1], V[:, ::-1]
        self.k = n_components(ev, n, p, rule, Z)
        self.V, self.lam = V[:, :self.k], ev[:self.k]
        self.out = out

    def stats(self, F):
        Z = self.st.z(F)
        T = Z @ self.V
        t2 = (T ** 2 / self.lam).sum(axis=1)
        q = ((Z - T @ self.V.T) ** 2).sum(axis=1)
        if self.out == "t2":
            return t2[:, None]
        if self.out == "q":
            return q[:, None]
        return np.column_stack([t2, q])


class GroupMD:
    """One LW Mahalanobis per feature group; stats = the K group scores."""
    def __init__(self, X, groups, s=None):
        self.ms = [MD(X, s=s, cols=c) for c in groups.values()]

    def stats(self, F):
        return np.column_stack([m.score(F) for m in self.ms])


class MaxAbsZ:
    """Standardised features; stat = max_j |z_j| (univariate Shewhart charts, one score)."""
    def __init__(self, X):
        self.st = Std(X)

    def stats(self, F):
        return np.abs(self.st.z(F)).max(axis=1)[:, None]


class PerFeature:
    """All |z_j| as K = 60 statistics (for min-p over features)."""
    def __init__(self, X):
        self.st = Std(X)

    def stats(self, F):
        return np.abs(self.st.z(F))


from scipy import stats as _st


def box_q_params(resid_ev):
    """Box (1954) scaled chi-square for Q = sum of squared residuals: Q ~ g chi2(h),
    g = theta2/theta1, h = theta1^2/theta2, theta_i = sum of residual eigenvalues^i."""
    t1, t2 = resid_ev.sum(), (resid_ev ** 2).sum()
    return t2 / t1, t1 * t1 / t2


class PCAComb(PCA):
    """PCA with one combined score: 'yq' = T2/T2lim + Q/Qlim (Yue & Qin 2001 combined index,
    limits at 99 % from chi2(k) and Box's g chi2(h)); 'tip' = Tippett: -log min(p_T2, p_Q)
    with the same parametric p-values; both then calibrated conformally as one score."""
    def __init__(self, X, rule="cv90", comb="yq"):
        super().__init__(X, rule, "both")
        Z = self.st.z(X)
        ev = np.linalg.eigvalsh(np.cov(Z, rowvar=False, ddof=1))[::-1]
        self.g, self.h = box_q_params(np.clip(ev[self.k:], 0, None))
        self.comb = comb

    def stats(self, F):
        t2, q = PCA.stats(self, F).T
        if self.comb == "yq":
            return (t2 / _st.chi2.ppf(0.99, self.k) + q / (self.g * _st.chi2.ppf(0.99, self.h)))[:, None]
        lp = np.minimum(_st.chi2.logsf(t2, self.k), _st.chi2.logsf(q / self.g, self.h))
        return (-lp)[:, None]


class GroupTippett:
    """Group-wise LW Mahalanobis; score = -log min_j sf_chi2(d_j, s_j) (Tippett with chi2
    p-values), calibrated conformally as one score."""
    def __init__(self, X, groups):
        self.ms = [MD(X, cols=c) for c in groups.values()]
        self.d = [len(list(c)) for c in groups.values()]

    def stats(self, F):
        lp = np.column_stack([_st.chi2.logsf(m.score(F), d) for m, d in zip(self.ms, self.d)])
        return (-lp.min(axis=1))[:, None]


class PPCA(PCA):
    """Probabilistic PCA covariance (Tipping & Bishop 1999), a rank-k-plus-isotropic covariance:
    Sigma = V_k diag(lam_k) V_k' + sigma2 (I - V_k V_k'), sigma2 = mean of the p-k residual
    eigenvalues. Score = z' Sigma^-1 z = T2_k + Q / sigma2: one quadratic form, like today's."""
    def __init__(self, X, rule="kaiser"):
        super().__init__(X, rule, "both")
        Z = self.st.z(X)
        ev = np.linalg.eigvalsh(np.cov(Z, rowvar=False, ddof=1))[::-1]
        self.s2 = ev[self.k:].mean()

    def stats(self, F):
        t2, q = PCA.stats(self, F).T
        return (t2 + q / self.s2)[:, None]


def wilson_hilferty(x, df):
    """Normal deviate of x ~ chi2(df) by the Wilson-Hilferty cube-root approximation."""
    c = 2.0 / (9.0 * df)
    return (np.cbrt(np.maximum(x, 0) / df) - (1 - c)) / np.sqrt(c)


class PCATippettWH(PCAComb):
    """Tippett(T2, Q) with Wilson-Hilferty normal deviates instead of exact chi2 tails:
    score = max(WH(T2, k), WH(Q/g, h)); needs only cube roots (same verdict form: two limits)."""
    def __init__(self, X, rule="kaiser"):
        super().__init__(X, rule, "tip")

    def stats(self, F):
        t2, q = PCA.stats(self, F).T
        return np.maximum(wilson_hilferty(t2, self.k), wilson_hilferty(q / self.g, self.h))[:, None]
