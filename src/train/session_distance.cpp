// session_distance.cpp: see session_distance.h.
//
// Why a centroid distance and not, say, the AUC of session B's windows against
// session A's held-out windows under a model of A: on vibration data every
// pair of sessions is separable (docs/sessions.md, ../shared/DATA.md), so that
// AUC sits at 1.0 for near and far pairs alike and cannot order them. The
// centroid distance keeps growing, needs no extra split, and reads directly:
// "session B's typical window lies D within-session standard deviations from
// session A's", so D^2 is on the scale of a Mahalanobis score (compare it with
// the model's threshold when the detector is Mahalanobis). The within-session
// covariance (each session centred on its own mean, then pooled) keeps the
// session offsets themselves out of the yardstick.
#include "session_distance.h"

#include <cmath>

#include "mahalanobis.h"

namespace tinyad {

bool session_distances(const Eigen::MatrixXd& X, const std::vector<std::string>& labels,
                       const std::vector<std::string>& sessions, std::vector<SessionDistance>* out,
                       std::string* err) {
  out->clear();
  struct Session {
    std::string label;
    std::vector<Eigen::Index> rows;
    Eigen::VectorXd mean;
  };
  std::vector<Session> kept;
  for (const auto& s : sessions) {
    Session k{s, {}, {}};
    for (size_t i = 0; i < labels.size(); ++i)
      if (labels[i] == s) k.rows.push_back(Eigen::Index(i));
    if (k.rows.size() < 2) continue;
    k.mean = X(k.rows, Eigen::all).colwise().mean().transpose();
    kept.push_back(std::move(k));
  }
  if (kept.size() < 2) return true;
  Eigen::Index n = 0;
  for (const auto& k : kept) n += Eigen::Index(k.rows.size());
  Eigen::MatrixXd centred(n, X.cols());
  Eigen::Index at = 0;
  for (const auto& k : kept) {
    for (Eigen::Index r : k.rows) centred.row(at++) = X.row(r) - k.mean.transpose();
  }
  MahalanobisModel within;
  if (!mahalanobis_fit(centred, Shrinkage::LedoitWolf, &within, err)) {
    *err = "session distances: " + *err;
    return false;
  }
  for (size_t i = 0; i < kept.size(); ++i) {
    for (size_t j = i + 1; j < kept.size(); ++j) {
      const Eigen::VectorXd d = kept[i].mean - kept[j].mean;
      out->push_back({kept[i].label, kept[j].label, kept[i].rows.size(), kept[j].rows.size(),
                      std::sqrt(std::max(0.0, d.dot(within.precision * d)))});
    }
  }
  return true;
}

}  // namespace tinyad
