// mcd.cpp: see mcd.h.
#include "mcd.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "rng.h"

namespace tinyad {
namespace {

// Regularised lower incomplete gamma P(a, x): power series below a + 1,
// continued fraction (modified Lentz) above, where each converges fast.
double gamma_p(double a, double x) {
  if (x <= 0) return 0.0;
  const double log_front = a * std::log(x) - x - std::lgamma(a);
  if (x < a + 1) {
    double term = 1.0 / a, sum = term;
    for (int k = 1; k < 1000 && std::fabs(term) > 1e-17 * std::fabs(sum); ++k) {
      term *= x / (a + k);
      sum += term;
    }
    return std::exp(log_front) * sum;
  }
  const double tiny = 1e-300;
  double b = x + 1 - a, c = 1 / tiny, d = 1 / b, f = d;
  for (int k = 1; k < 1000; ++k) {
    const double an = -k * (k - a);
    b += 2;
    d = an * d + b;
    if (std::fabs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    const double delta = c * d;
    f *= delta;
    if (std::fabs(delta - 1) < 1e-16) break;
  }
  return 1.0 - std::exp(log_front) * f;
}

struct SubsetFit {
  Eigen::VectorXd mean;
  Eigen::LLT<Eigen::MatrixXd> llt;
  double log_det = -INFINITY;  // -inf: singular
};

SubsetFit fit_rows(const Eigen::MatrixXd& X, const std::vector<size_t>& rows) {
  SubsetFit f;
  const Eigen::Index p = X.cols();
  f.mean = Eigen::VectorXd::Zero(p);
  for (size_t r : rows) f.mean += X.row(Eigen::Index(r)).transpose();
  f.mean /= double(rows.size());
  Eigen::MatrixXd C(Eigen::Index(rows.size()), p);
  for (size_t i = 0; i < rows.size(); ++i) C.row(Eigen::Index(i)) = X.row(Eigen::Index(rows[i])) - f.mean.transpose();
  const Eigen::MatrixXd S = C.transpose() * C / double(rows.size());
  f.llt.compute(S);
  if (f.llt.info() != Eigen::Success) return f;
  // L's diagonal read in place (matrixLLT holds L): fit_rows runs for every
  // C-step of every start, so no p x p copy of the factor just for p numbers.
  const Eigen::VectorXd diag = f.llt.matrixLLT().diagonal();
  // A pivot this small relative to the scale means a numerically singular subset.
  const double scale = std::max(S.diagonal().maxCoeff(), 1e-300);
  if (diag.minCoeff() <= 0 || diag.minCoeff() * diag.minCoeff() < 1e-13 * scale) return f;
  f.log_det = 2.0 * diag.array().log().sum();
  return f;
}

Eigen::VectorXd squared_distances(const Eigen::MatrixXd& X, const SubsetFit& f) {
  const Eigen::MatrixXd centred_t = (X.rowwise() - f.mean.transpose()).transpose();
  const Eigen::MatrixXd y = f.llt.matrixL().solve(centred_t);
  return y.colwise().squaredNorm().transpose();
}

// The h rows with the smallest distances; ties go to the lower index so the
// result never depends on the sort implementation.
std::vector<size_t> smallest(const Eigen::VectorXd& d, size_t h) {
  std::vector<size_t> idx(size_t(d.size()));
  std::iota(idx.begin(), idx.end(), size_t(0));
  auto less = [&](size_t a, size_t b) { return d[Eigen::Index(a)] < d[Eigen::Index(b)] || (d[Eigen::Index(a)] == d[Eigen::Index(b)] && a < b); };
  std::nth_element(idx.begin(), idx.begin() + std::ptrdiff_t(h - 1), idx.end(), less);
  idx.resize(h);
  std::sort(idx.begin(), idx.end());
  return idx;
}

struct Candidate {
  std::vector<size_t> rows;
  double log_det = INFINITY;
};

// C-steps from `c` (Theorem 1 of the paper: the determinant never increases);
// stops when the subset repeats or after max_steps.
void c_steps(const Eigen::MatrixXd& X, size_t h, int max_steps, Candidate* c) {
  SubsetFit f = fit_rows(X, c->rows);
  c->log_det = f.log_det;
  for (int step = 0; step < max_steps && std::isfinite(f.log_det); ++step) {
    std::vector<size_t> next = smallest(squared_distances(X, f), h);
    if (next == c->rows) break;
    SubsetFit g = fit_rows(X, next);
    if (!(g.log_det < c->log_det) && std::isfinite(g.log_det)) break;  // no progress: converged
    c->rows = std::move(next);
    c->log_det = g.log_det;
    f = std::move(g);
  }
}

// A random (p+1)-subset, grown by random rows while its covariance is singular.
Candidate random_start(const Eigen::MatrixXd& X, size_t h, Rng* rng) {
  const size_t n = size_t(X.rows()), p = size_t(X.cols());
  std::vector<size_t> perm(n);
  std::iota(perm.begin(), perm.end(), size_t(0));
  size_t k = 0;
  auto draw = [&] {  // one step of a partial Fisher-Yates shuffle
    const size_t j = k + size_t(rng->below(uint64_t(n - k)));
    std::swap(perm[k], perm[j]);
    ++k;
  };
  while (k < p + 1) draw();
  SubsetFit f = fit_rows(X, std::vector<size_t>(perm.begin(), perm.begin() + std::ptrdiff_t(k)));
  while (!std::isfinite(f.log_det) && k < n) {
    draw();
    f = fit_rows(X, std::vector<size_t>(perm.begin(), perm.begin() + std::ptrdiff_t(k)));
  }
  Candidate c;
  if (!std::isfinite(f.log_det)) {  // every row together is singular: start from the first h
    c.rows.resize(h);
    std::iota(c.rows.begin(), c.rows.end(), size_t(0));
  } else {
    c.rows = smallest(squared_distances(X, f), h);
  }
  return c;
}

}  // namespace

double chi2_cdf(double x, double dof) { return gamma_p(dof / 2, x / 2); }

double chi2_quantile(double q, double dof) {
  double lo = 0, hi = std::max(1.0, dof);
  while (chi2_cdf(hi, dof) < q) hi *= 2;
  for (int i = 0; i < 200 && hi - lo > 1e-14 * hi; ++i) {
    const double mid = 0.5 * (lo + hi);
    (chi2_cdf(mid, dof) < q ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

double mcd_subset_log_det(const Eigen::MatrixXd& X, const std::vector<size_t>& rows) {
  return fit_rows(X, rows).log_det;
}

bool mcd_fit(const Eigen::MatrixXd& X, const McdOptions& opt, McdResult* out, std::string* err) {
  const size_t n = size_t(X.rows()), p = size_t(X.cols());
  if (p == 0 || n < p + 2) {
    *err = "MCD needs more rows than features + 1, got " + std::to_string(n) + " rows of " + std::to_string(p) +
           " features";
    return false;
  }
  if (!X.allFinite()) {
    *err = "MCD needs finite values";
    return false;
  }
  size_t h = (n + p + 1) / 2;
  if (opt.support_fraction > 0) h = size_t(std::ceil(opt.support_fraction * double(n)));
  if (h < p + 1 || h > n) {
    *err = "MCD support of " + std::to_string(h) + " rows is outside [" + std::to_string(p + 1) + ", " +
           std::to_string(n) + "]";
    return false;
  }
  // Standardise for numerics only: the MCD subset is affine equivariant.
  const Eigen::VectorXd centre = X.colwise().mean().transpose();
  Eigen::VectorXd sd = ((X.rowwise() - centre.transpose()).colwise().squaredNorm() / double(n)).transpose().cwiseSqrt();
  for (Eigen::Index j = 0; j < sd.size(); ++j)
    if (!(sd[j] > 0)) sd[j] = 1.0;  // a constant column; the exact-fit check reports it
  const Eigen::MatrixXd Z = (X.rowwise() - centre.transpose()) * sd.cwiseInverse().asDiagonal();
  const double log_scale = 2.0 * sd.array().log().sum();

  Rng rng(opt.seed);
  std::vector<Candidate> cands;
  for (int s = 0; s < std::max(1, opt.n_starts); ++s) {
    Candidate c = random_start(Z, h, &rng);
    c_steps(Z, h, 2, &c);
    cands.push_back(std::move(c));
  }
  auto by_det = [](const Candidate& a, const Candidate& b) {
    return a.log_det < b.log_det || (a.log_det == b.log_det && a.rows < b.rows);
  };
  std::sort(cands.begin(), cands.end(), by_det);
  const size_t keep = std::min(cands.size(), size_t(std::max(1, opt.n_best)));
  cands.resize(keep);
  for (Candidate& c : cands) c_steps(Z, h, opt.max_csteps, &c);
  const Candidate best = *std::min_element(cands.begin(), cands.end(), by_det);
  if (!std::isfinite(best.log_det)) {
    *err = "MCD exact fit: " + std::to_string(h) + " rows lie on a hyperplane (is a feature constant?)";
    return false;
  }

  McdResult r;
  r.h = h;
  r.raw_support = best.rows;
  r.raw_log_det = best.log_det + log_scale;
  const SubsetFit f = fit_rows(Z, best.rows);
  const Eigen::VectorXd d_raw = squared_distances(Z, f);
  // Consistency at the normal model: the median squared distance should be
  // the chi2_p median.
  std::vector<double> ds(d_raw.data(), d_raw.data() + d_raw.size());
  std::nth_element(ds.begin(), ds.begin() + std::ptrdiff_t(n / 2), ds.end());
  double med = ds[n / 2];
  if (n % 2 == 0) med = 0.5 * (med + *std::max_element(ds.begin(), ds.begin() + std::ptrdiff_t(n / 2)));
  r.consistency = med / chi2_quantile(0.5, double(p));
  const Eigen::MatrixXd S_raw = Eigen::MatrixXd(f.llt.reconstructedMatrix()) * r.consistency;
  r.raw_mean = centre + sd.cwiseProduct(f.mean);
  r.raw_covariance = sd.asDiagonal() * S_raw * sd.asDiagonal();

  // Reweighting: keep every row within the 97.5 % chi2 quantile of the corrected raw fit.
  const double cutoff = chi2_quantile(0.975, double(p));
  for (size_t i = 0; i < n; ++i)
    if (d_raw[Eigen::Index(i)] / r.consistency <= cutoff) r.support.push_back(i);
  r.mean = Eigen::VectorXd::Zero(Eigen::Index(p));
  for (size_t i : r.support) r.mean += X.row(Eigen::Index(i)).transpose();
  r.mean /= double(r.support.size());
  r.covariance = Eigen::MatrixXd::Zero(Eigen::Index(p), Eigen::Index(p));
  for (size_t i : r.support) {
    const Eigen::VectorXd c = X.row(Eigen::Index(i)).transpose() - r.mean;
    r.covariance += c * c.transpose();
  }
  r.covariance /= double(std::max<size_t>(r.support.size(), 2) - 1);
  *out = std::move(r);
  return true;
}

}  // namespace tinyad
