// mcd.h: the Minimum Covariance Determinant estimator (FastMCD, Rousseeuw &
// Van Driessen 1999): the h-subset of rows whose covariance has the smallest
// determinant, then a consistency correction and one reweighting step. Used
// as an opt-in robust fit of the Mahalanobis baseline (`tinyad train --fit mcd`).
// Avoids: any global RNG (seeded SplitMix64 only, so results are identical
// everywhere) and the large-n partitioning of the paper (tinyad fits a few
// hundred windows, where the plain algorithm is fast enough).
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <string>
#include <vector>

namespace tinyad {

struct McdOptions {
  double support_fraction = 0.0;  // h = ceil(fraction * n); 0: h = floor((n + p + 1) / 2)
  int n_starts = 500;             // random (p+1)-subsets
  int n_best = 10;                // starts carried on to convergence
  int max_csteps = 200;           // per start, once among the best
  uint64_t seed = 0;
};

struct McdResult {
  size_t h = 0;
  std::vector<size_t> raw_support;  // sorted row indices of the best h-subset
  double raw_log_det = 0.0;         // log det of that subset's covariance (divided by h)
  Eigen::VectorXd raw_mean;
  Eigen::MatrixXd raw_covariance;   // (divided by h) times `consistency`
  double consistency = 1.0;         // median raw distance / chi2_p median
  std::vector<size_t> support;      // rows kept by reweighting: raw distance^2 <= chi2_p(0.975)
  Eigen::VectorXd mean;             // reweighted: mean of `support`
  Eigen::MatrixXd covariance;       // reweighted: unbiased (N-1) covariance of `support`
};

/// FastMCD on the rows of X (n, p). Needs n > p + 1 and finite values; fails
/// when the best h rows lie on a hyperplane (exact fit, e.g. a constant feature).
bool mcd_fit(const Eigen::MatrixXd& X, const McdOptions& opt, McdResult* out, std::string* err);

/// Log determinant of the covariance (divided by h) of the given rows; -inf if singular.
double mcd_subset_log_det(const Eigen::MatrixXd& X, const std::vector<size_t>& rows);

/// Chi-square distribution with `dof` degrees of freedom: CDF and quantile.
double chi2_cdf(double x, double dof);
double chi2_quantile(double q, double dof);

}  // namespace tinyad
