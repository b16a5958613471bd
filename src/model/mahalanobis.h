// mahalanobis.h: the Mahalanobis detector on the host: fitting the normal
// baseline (mean, unbiased covariance, its inverse), scoring rows, and its
// part of the model file. Scoring itself is the core's
// tinyad_mahalanobis_score(), shared with the microcontroller.
#pragma once

#include <Eigen/Dense>
#include <nlohmann/json.hpp>
#include <string>

namespace tinyad {

enum class Shrinkage {
  Auto,        // Ledoit-Wolf only when the covariance is singular or ill-conditioned
  None,        // plain unbiased covariance; an error if it cannot be inverted
  LedoitWolf,  // always shrink (on standardised features)
  Ppca,        // probabilistic PCA: the leading components of the correlation matrix
               // (Kaiser: eigenvalue > 1) kept, the rest replaced by their mean;
               // Ledoit-Wolf when there are no more windows than features
};

struct MahalanobisModel {
  Eigen::VectorXd mean;        // (n_features,)
  Eigen::MatrixXd covariance;  // (n_features, n_features), unbiased (N-1), after shrinkage
  Eigen::MatrixXd precision;   // (n_features, n_features), inverse of covariance
  double shrinkage = 0.0;      // Ledoit-Wolf intensity in [0, 1] that was applied
  int components = 0;          // Ppca: principal components kept (0 for the other fits)
  double condition = 0.0;      // condition number of the covariance that was inverted
};

bool shrinkage_from_name(const std::string& name, Shrinkage* out);
const char* shrinkage_name(Shrinkage s);

/// Fits on the rows of X (n_windows, n_features). Needs at least 2 rows.
bool mahalanobis_fit(const Eigen::MatrixXd& X, Shrinkage shrinkage, MahalanobisModel* out,
                     std::string* err);

/// Completes a model from a given mean and covariance (e.g. an imported .npz).
bool mahalanobis_from_covariance(const Eigen::VectorXd& mean, const Eigen::MatrixXd& covariance,
                                 MahalanobisModel* out, std::string* err);

/// Squared distances of each row of X, via the core scorer.
Eigen::VectorXd mahalanobis_scores(const MahalanobisModel& m, const Eigen::MatrixXd& X);

/// The detector's part of the model file ("mean", "covariance", "precision",
/// "shrinkage", "condition"); from_json checks the sizes against n_features.
nlohmann::json mahalanobis_to_json(const MahalanobisModel& m);
bool mahalanobis_from_json(const nlohmann::json& j, size_t n_features, MahalanobisModel* out, std::string* err);

}  // namespace tinyad
