// roc.cpp: see roc.h.
#include "roc.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "verdict.h"

namespace tinyad {

std::optional<double> roc_auc(const std::vector<double>& normal, const std::vector<double>& anomaly) {
  if (normal.empty() || anomaly.empty()) return std::nullopt;
  // Rank all scores together (average rank for ties), sum the anomaly ranks.
  std::vector<std::pair<double, bool>> all;
  all.reserve(normal.size() + anomaly.size());
  for (double s : normal) all.emplace_back(s, false);
  for (double s : anomaly) all.emplace_back(s, true);
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  double rank_sum = 0;
  for (size_t i = 0; i < all.size();) {
    size_t j = i;
    while (j < all.size() && all[j].first == all[i].first) ++j;
    const double avg_rank = 0.5 * double(i + 1 + j);  // ranks i+1..j
    for (size_t k = i; k < j; ++k)
      if (all[k].second) rank_sum += avg_rank;
    i = j;
  }
  const double na = double(anomaly.size()), nn = double(normal.size());
  return (rank_sum - na * (na + 1) / 2) / (na * nn);
}

std::vector<RocPoint> roc_curve(const std::vector<double>& normal, const std::vector<double>& anomaly) {
  std::vector<RocPoint> points;
  if (normal.empty() || anomaly.empty()) return points;
  std::vector<std::pair<double, bool>> all;
  for (double s : normal) all.emplace_back(s, false);
  for (double s : anomaly) all.emplace_back(s, true);
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  points.push_back({INFINITY, 0.0, 0.0});
  size_t fp = 0, tp = 0;
  for (size_t i = 0; i < all.size();) {
    size_t j = i;
    for (; j < all.size() && all[j].first == all[i].first; ++j) (all[j].second ? tp : fp)++;
    points.push_back({all[i].first, double(fp) / double(normal.size()), double(tp) / double(anomaly.size())});
    i = j;
  }
  return points;
}

size_t count_above(const std::vector<double>& scores, double threshold) {
  return size_t(std::count_if(scores.begin(), scores.end(), [&](double s) { return verdict_anomalous(s, threshold); }));
}

}  // namespace tinyad
