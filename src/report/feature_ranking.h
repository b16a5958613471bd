// feature_ranking.h: which features tell normal windows from anomalous ones,
// two ways. (1) One feature at a time: the ROC AUC of normal vs each anomaly
// label, and how much the feature moves between normal recording sessions.
// (2) Feature groups as the detector uses them: a Mahalanobis detector per
// candidate set, with a greedy forward search for the recommended set.
// Pure numbers on an in-memory matrix: no file I/O, no JSON.
#pragma once

#include <Eigen/Dense>
#include <optional>
#include <string>
#include <vector>

namespace tinyad {

/// A feature matrix with its column names and row labels.
struct FeatureColumns {
  std::vector<std::string> names;   // per column, e.g. "mad_x", "band03_z"
  std::vector<std::string> groups;  // per column, the recipe group, e.g. "mad", "bands"
  std::vector<std::string> labels;  // per row, the window's label
  Eigen::MatrixXd X;                // (n_windows, n_columns)
};

struct FeatureRank {
  std::string name, group;
  std::vector<double> auc;     // per anomaly label: P(anomaly value > normal value), ties 1/2
  double separation = 0;       // mean over anomaly labels of |2 auc - 1| (0 none .. 1 perfect)
  double worst = 0;            // smallest |2 auc - 1| over the anomaly labels
  std::optional<double> drift; // largest |2 AUC - 1| between the first normal label and another
  // Separation relative to the spread between normal sessions (each normal
  // label is a session): min over anomaly labels of
  // |mean_anomaly - mean_normal| / (sd of the session means + pooled
  // within-session sd), mean_normal the mean of the session means. Large:
  // the anomalies move the feature more than a new day does. 0 without anomalies.
  double session_relative = 0;
};

/// The session-relative separation of one column (FeatureRank::session_relative).
/// `sessions` and `anomalies` hold the column's values per label.
double session_relative_separation(const std::vector<std::vector<double>>& sessions,
                                   const std::vector<std::vector<double>>& anomalies);

/// Per-feature ranking, best separation first. Normal windows are pooled over
/// `normal`; drift needs at least two normal labels.
std::vector<FeatureRank> rank_features(const FeatureColumns& c, const std::vector<std::string>& normal,
                                       const std::vector<std::string>& anomaly);

/// A detector on one set of feature groups, averaged over split seeds.
struct SetScore {
  std::vector<std::string> groups;
  size_t n_features = 0;
  std::vector<double> auc;       // per anomaly label: test split of the first normal label vs the label
  std::vector<double> detected;  // per anomaly label: share above the threshold
  double false_alarms_test = 0;  // share of the first normal label's test split above the threshold
  std::optional<double> false_alarms_other;  // share of the other normal labels (unseen sessions)
  double objective = 0;          // mean auc - false_alarms_other (0 when absent)
};

struct SetSearchOptions {
  std::vector<uint64_t> seeds = {0, 1, 2};
  std::string threshold = "3.5*median";  // rule applied to validation scores
  double min_gain = 0.001;               // forward search stops below this objective gain
};

struct SetSearch {
  std::vector<SetScore> singles;    // each group alone
  std::vector<SetScore> path;       // greedy forward search, one entry per added group
  std::vector<std::string> recommended;  // groups of the best point on the path
};

/// Trains the detector (the default recipe's covariance, default_shrinkage) on
/// 60 % of the first normal label's windows per seed; validation (20 %) sets
/// the threshold; test (20 %), anomaly labels and other normal labels are scored.
bool score_feature_set(const FeatureColumns& c, const std::vector<std::string>& groups,
                       const std::vector<std::string>& normal, const std::vector<std::string>& anomaly,
                       const SetSearchOptions& opt, SetScore* out, std::string* err);

/// Scores every group alone, then adds groups greedily while the objective
/// grows by at least opt.min_gain.
bool search_feature_sets(const FeatureColumns& c, const std::vector<std::string>& normal,
                         const std::vector<std::string>& anomaly, const SetSearchOptions& opt, SetSearch* out,
                         std::string* err);

/// Projection of the standardised columns on their first two principal axes.
struct Pca2 {
  Eigen::MatrixXd points;  // (n_windows, 2)
  double explained[2] = {0, 0};  // share of the total variance per axis
};
Pca2 pca_2d(const Eigen::MatrixXd& X);

/// Distinct groups of the columns, in column order.
std::vector<std::string> column_groups(const FeatureColumns& c);

}  // namespace tinyad
