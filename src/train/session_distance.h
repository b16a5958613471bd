// session_distance.h: how far apart normal recording sessions lie in feature
// space, for `tinyad train --normal A,B` (several normal labels = sessions).
// Pure numbers on an in-memory matrix: no file I/O.
#pragma once

#include <Eigen/Dense>
#include <string>
#include <vector>

namespace tinyad {

struct SessionDistance {
  std::string a, b;      // session labels, a before b in the order given
  size_t n_a = 0, n_b = 0;  // windows of each
  double distance = 0;   // Mahalanobis distance between the centroids (session_distances)
};

/// Per pair of sessions: the Mahalanobis distance between the two sessions'
/// mean feature vectors under the pooled within-session covariance
/// (Ledoit-Wolf shrunk). `labels` names the session of each row of X
/// (n_windows, n_features); rows of other labels are ignored. Sessions with
/// fewer than 2 windows are left out. False when the covariance cannot be fitted.
bool session_distances(const Eigen::MatrixXd& X, const std::vector<std::string>& labels,
                       const std::vector<std::string>& sessions, std::vector<SessionDistance>* out,
                       std::string* err);

}  // namespace tinyad
