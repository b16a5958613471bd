// roc.h: detection quality from scores: ROC AUC (ties count half),
// ROC points, confusion counts at a threshold.
#pragma once

#include <optional>
#include <vector>

namespace tinyad {

/// Probability that an anomalous window scores above a normal one (ties
/// count 1/2): the Mann-Whitney form of the ROC AUC. nullopt if a class is empty.
std::optional<double> roc_auc(const std::vector<double>& normal, const std::vector<double>& anomaly);

struct RocPoint {
  double threshold, fpr, tpr;
};
/// ROC curve from the highest threshold down (one point per distinct score).
std::vector<RocPoint> roc_curve(const std::vector<double>& normal, const std::vector<double>& anomaly);

/// Number of scores strictly above the threshold.
size_t count_above(const std::vector<double>& scores, double threshold);

}  // namespace tinyad
