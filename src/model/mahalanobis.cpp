// mahalanobis.cpp: see mahalanobis.h.
#include "mahalanobis.h"

#include <cmath>

#include "json_eigen.h"
#include "tinyad_mahalanobis.h"

namespace tinyad {
namespace {

// Beyond this the inverse loses more than ~6 of double's 16 digits.
constexpr double kMaxCondition = 1e10;

double condition_number(const Eigen::MatrixXd& cov) {
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(cov, Eigen::EigenvaluesOnly);
  const double lo = eig.eigenvalues().minCoeff(), hi = eig.eigenvalues().maxCoeff();
  return lo > 0 ? hi / lo : INFINITY;
}

// Ledoit & Wolf (2004) intensity for shrinking the covariance of the centred,
// standardised rows Z towards a multiple of the identity.
double ledoit_wolf_intensity(const Eigen::MatrixXd& Z) {
  const double n = double(Z.rows()), p = double(Z.cols());
  const Eigen::MatrixXd S = Z.transpose() * Z / n;  // biased sample covariance
  const double mu = S.trace() / p;
  const double delta = (S - mu * Eigen::MatrixXd::Identity(Z.cols(), Z.cols())).squaredNorm() / p;
  double beta = 0.0;  // average squared distance of the per-row outer products to S
  for (Eigen::Index i = 0; i < Z.rows(); ++i) {
    const Eigen::VectorXd z = Z.row(i).transpose();
    beta += (z * z.transpose() - S).squaredNorm();
  }
  beta /= n * n * p;
  if (delta <= 0) return 1.0;
  return std::min(beta, delta) / delta;
}

// Probabilistic PCA (Tipping & Bishop 1999) of a correlation matrix R: the k
// leading eigen-directions keep their variances, the p - k others share their
// mean variance sigma2. k is Kaiser's rule (eigenvalues above 1, the mean
// eigenvalue of a correlation matrix). Why: a few broad modes of normal
// variation (on the fan, the moments its base was moved) own the leading
// directions, so a deviation off them is weighed against the pooled residual
// variance instead of each small, noisily estimated one (docs/thresholds.md).
Eigen::MatrixXd ppca_correlation(const Eigen::MatrixXd& R, int* components) {
  const Eigen::Index p = R.rows();
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(R);  // ascending eigenvalues
  const Eigen::VectorXd& lam = eig.eigenvalues();
  Eigen::Index k = 0;
  while (k < p - 1 && lam[p - 1 - k] > 1.0) ++k;
  k = std::max<Eigen::Index>(k, std::min<Eigen::Index>(1, p - 1));
  const Eigen::Index rest = p - k;
  // Floor: constant features give zero eigenvalues; keep the matrix invertible.
  const double sigma2 = std::max(rest > 0 ? lam.head(rest).mean() : 0.0, 1e-9);
  const Eigen::MatrixXd V = eig.eigenvectors().rightCols(k);
  const Eigen::VectorXd excess = (lam.tail(k).array() - sigma2).matrix();
  *components = int(k);
  return sigma2 * Eigen::MatrixXd::Identity(p, p) + V * excess.asDiagonal() * V.transpose();
}

bool invert(MahalanobisModel* m, std::string* err) {
  Eigen::LLT<Eigen::MatrixXd> llt(m->covariance);
  if (llt.info() != Eigen::Success) {
    *err = "covariance is not positive definite";
    return false;
  }
  const Eigen::MatrixXd inv = llt.solve(Eigen::MatrixXd::Identity(m->covariance.rows(), m->covariance.cols()));
  // Exact symmetry. Not in place: P = 0.5 * (P + P^T) would read entries it already overwrote.
  m->precision = 0.5 * (inv + inv.transpose());
  m->condition = condition_number(m->covariance);
  return true;
}

}  // namespace

bool shrinkage_from_name(const std::string& name, Shrinkage* out) {
  if (name == "auto") *out = Shrinkage::Auto;
  else if (name == "none") *out = Shrinkage::None;
  else if (name == "ledoit-wolf") *out = Shrinkage::LedoitWolf;
  else if (name == "ppca") *out = Shrinkage::Ppca;
  else return false;
  return true;
}

const char* shrinkage_name(Shrinkage s) {
  switch (s) {
    case Shrinkage::Auto: return "auto";
    case Shrinkage::None: return "none";
    case Shrinkage::LedoitWolf: return "ledoit-wolf";
    case Shrinkage::Ppca: return "ppca";
  }
  return "?";
}

bool mahalanobis_fit(const Eigen::MatrixXd& X, Shrinkage shrinkage, MahalanobisModel* out,
                     std::string* err) {
  if (X.rows() < 2) {
    *err = "need at least 2 training windows, got " + std::to_string(X.rows());
    return false;
  }
  MahalanobisModel m;
  m.mean = X.colwise().mean().transpose();
  const Eigen::MatrixXd centred = X.rowwise() - m.mean.transpose();
  m.covariance = centred.transpose() * centred / double(X.rows() - 1);

  bool shrink = shrinkage == Shrinkage::LedoitWolf;
  if (shrinkage == Shrinkage::Auto) {
    shrink = X.rows() <= X.cols() || !(condition_number(m.covariance) < kMaxCondition);
  }
  if (shrink || shrinkage == Shrinkage::Ppca) {
    // Standardise first so that the structure imposed (towards the identity, or
    // on the eigenvalues) does not depend on each feature's unit; then map back.
    const Eigen::VectorXd sd = m.covariance.diagonal().cwiseSqrt().cwiseMax(1e-300);
    const Eigen::MatrixXd Z = centred * sd.cwiseInverse().asDiagonal();
    const Eigen::MatrixXd R = Z.transpose() * Z / double(X.rows() - 1);
    Eigen::MatrixXd structured;
    // PPCA's residual variance is the mean of the trailing eigenvalues; with no
    // more windows than features most of them are zero by construction (rank
    // n - 1), not a variance, so such a fit shrinks (Ledoit-Wolf) instead.
    if (shrinkage == Shrinkage::Ppca && X.rows() > X.cols()) {
      structured = ppca_correlation(R, &m.components);
    } else {
      m.shrinkage = ledoit_wolf_intensity(Z);
      const double mu = R.trace() / double(R.rows());
      structured = (1.0 - m.shrinkage) * R + m.shrinkage * mu * Eigen::MatrixXd::Identity(R.rows(), R.cols());
    }
    m.covariance = sd.asDiagonal() * structured * sd.asDiagonal();
  }
  if (!invert(&m, err)) {
    *err += shrinkage == Shrinkage::None
                ? " (use more training windows than features, or --shrinkage auto)"
                : " even after shrinkage (is a feature constant?)";
    return false;
  }
  *out = std::move(m);
  return true;
}

bool mahalanobis_from_covariance(const Eigen::VectorXd& mean, const Eigen::MatrixXd& covariance,
                                 MahalanobisModel* out, std::string* err) {
  if (covariance.rows() != mean.size() || covariance.cols() != mean.size()) {
    *err = "covariance is " + std::to_string(covariance.rows()) + "x" +
           std::to_string(covariance.cols()) + " but the mean has " + std::to_string(mean.size()) +
           " values";
    return false;
  }
  MahalanobisModel m;
  m.mean = mean;
  m.covariance = covariance;
  if (!invert(&m, err)) return false;
  *out = std::move(m);
  return true;
}

Eigen::VectorXd mahalanobis_scores(const MahalanobisModel& m, const Eigen::MatrixXd& X) {
  // Row-major copies so the core sees contiguous vectors.
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const RowMajor P = m.precision;
  const RowMajor rows = X;
  const tinyad_mahalanobis<double> core{size_t(m.mean.size()), m.mean.data(), P.data()};
  Eigen::VectorXd scores(X.rows());
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    double s = NAN;
    if (tinyad_mahalanobis_score(&core, rows.row(i).data(), size_t(X.cols()), &s) != TINYAD_STATUS_OK)
      s = INFINITY;  // only non-finite features get here; they are as abnormal as it gets
    scores[i] = s;
  }
  return scores;
}

bool mahalanobis_from_json(const nlohmann::json& d, size_t n_features, MahalanobisModel* md, std::string* err) {
  const auto mean = d.at("mean").get<std::vector<double>>();
  const Eigen::Index n = Eigen::Index(mean.size());
  if (size_t(n) != n_features) {
    *err = "detector has " + std::to_string(n) + " means but the recipe makes " + std::to_string(n_features) +
           " features";
    return false;
  }
  md->mean = Eigen::Map<const Eigen::VectorXd>(mean.data(), n);
  if (!matrix_from_json(d.at("covariance"), n, n, "covariance", &md->covariance, err) ||
      !matrix_from_json(d.at("precision"), n, n, "precision", &md->precision, err))
    return false;
  md->shrinkage = d.value("shrinkage", 0.0);
  md->condition = d.value("condition", 0.0);
  md->components = d.value("components", 0);
  return true;
}

nlohmann::json mahalanobis_to_json(const MahalanobisModel& md) {
  return {{"mean", std::vector<double>(md.mean.data(), md.mean.data() + md.mean.size())},
          {"covariance", matrix_to_json(md.covariance)},
          {"precision", matrix_to_json(md.precision)},
          {"shrinkage", md.shrinkage},
          {"condition", md.condition},
          {"components", md.components}};
}

}  // namespace tinyad
