// feature_ranking.cpp: see feature_ranking.h. The detector check scores with
// Eigen products instead of the core's per-window scorer: the search fits
// tens of detectors, and the numbers are the same up to rounding.
#include "feature_ranking.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "mahalanobis.h"
#include "roc.h"
#include "split.h"
#include "threshold.h"
#include "train.h"

namespace tinyad {
namespace {

std::vector<Eigen::Index> rows_of(const FeatureColumns& c, const std::vector<std::string>& labels) {
  std::vector<Eigen::Index> rows;
  for (size_t i = 0; i < c.labels.size(); ++i)
    if (std::find(labels.begin(), labels.end(), c.labels[i]) != labels.end()) rows.push_back(Eigen::Index(i));
  return rows;
}

std::vector<double> column_values(const FeatureColumns& c, Eigen::Index col, const std::vector<Eigen::Index>& rows) {
  std::vector<double> v;
  v.reserve(rows.size());
  for (Eigen::Index r : rows) v.push_back(c.X(r, col));
  return v;
}

std::vector<double> pick(const Eigen::VectorXd& scores, const std::vector<Eigen::Index>& rows) {
  std::vector<double> v;
  v.reserve(rows.size());
  for (Eigen::Index r : rows) v.push_back(scores[r]);
  return v;
}

double share_above(const std::vector<double>& s, double threshold) {
  return s.empty() ? 0.0 : double(count_above(s, threshold)) / double(s.size());
}

double mean_of(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m += x / double(v.size());
  return m;
}

}  // namespace

double session_relative_separation(const std::vector<std::vector<double>>& sessions,
                                   const std::vector<std::vector<double>>& anomalies) {
  std::vector<double> means;
  double within_ss = 0, within_df = 0;
  for (const auto& s : sessions) {
    if (s.empty()) continue;
    const double m = mean_of(s);
    means.push_back(m);
    for (double x : s) within_ss += (x - m) * (x - m);
    within_df += double(s.size()) - 1;
  }
  if (means.empty()) return 0;
  const double centre = mean_of(means);
  double between_ss = 0;
  for (double m : means) between_ss += (m - centre) * (m - centre);
  const double between = means.size() > 1 ? std::sqrt(between_ss / double(means.size() - 1)) : 0.0;
  const double within = within_df > 0 ? std::sqrt(within_ss / within_df) : 0.0;
  // A feature constant over every normal window (quantised readings) still
  // separates when an anomaly moves it: a floor keeps the ratio finite.
  const double spread = std::max(between + within, 1e-12);
  double worst = anomalies.empty() ? 0.0 : INFINITY;
  for (const auto& a : anomalies)
    if (!a.empty()) worst = std::min(worst, std::abs(mean_of(a) - centre) / spread);
  return std::isfinite(worst) ? worst : 0.0;
}

std::vector<std::string> column_groups(const FeatureColumns& c) {
  std::vector<std::string> out;
  for (const auto& g : c.groups)
    if (std::find(out.begin(), out.end(), g) == out.end()) out.push_back(g);
  return out;
}

std::vector<FeatureRank> rank_features(const FeatureColumns& c, const std::vector<std::string>& normal,
                                       const std::vector<std::string>& anomaly) {
  const auto normal_rows = rows_of(c, normal);
  std::vector<std::vector<Eigen::Index>> anomaly_rows, session_rows;
  for (const auto& l : anomaly) anomaly_rows.push_back(rows_of(c, {l}));
  for (const auto& l : normal) session_rows.push_back(rows_of(c, {l}));

  std::vector<FeatureRank> ranks;
  for (Eigen::Index col = 0; col < c.X.cols(); ++col) {
    FeatureRank r;
    r.name = c.names[size_t(col)];
    r.group = c.groups[size_t(col)];
    const auto nv = column_values(c, col, normal_rows);
    r.worst = anomaly.empty() ? 0.0 : 1.0;
    for (const auto& rows : anomaly_rows) {
      const double auc = roc_auc(nv, column_values(c, col, rows)).value_or(0.5);
      r.auc.push_back(auc);
      const double sep = std::abs(2 * auc - 1);
      r.separation += sep / double(anomaly_rows.size());
      r.worst = std::min(r.worst, sep);
    }
    {
      std::vector<std::vector<double>> sv, av;
      for (const auto& rows : session_rows) sv.push_back(column_values(c, col, rows));
      for (const auto& rows : anomaly_rows) av.push_back(column_values(c, col, rows));
      r.session_relative = session_relative_separation(sv, av);
    }
    if (session_rows.size() >= 2) {
      const auto first = column_values(c, col, session_rows[0]);
      double drift = 0;
      for (size_t s = 1; s < session_rows.size(); ++s)
        drift = std::max(drift, std::abs(2 * roc_auc(first, column_values(c, col, session_rows[s])).value_or(0.5) - 1));
      r.drift = drift;
    }
    ranks.push_back(std::move(r));
  }
  std::stable_sort(ranks.begin(), ranks.end(),
                   [](const FeatureRank& a, const FeatureRank& b) { return a.separation > b.separation; });
  return ranks;
}

bool score_feature_set(const FeatureColumns& c, const std::vector<std::string>& groups,
                       const std::vector<std::string>& normal, const std::vector<std::string>& anomaly,
                       const SetSearchOptions& opt, SetScore* out, std::string* err) {
  std::vector<Eigen::Index> cols;
  for (size_t k = 0; k < c.groups.size(); ++k)
    if (std::find(groups.begin(), groups.end(), c.groups[k]) != groups.end()) cols.push_back(Eigen::Index(k));
  if (cols.empty() || normal.empty()) {
    *err = "feature set check: no columns or no normal label";
    return false;
  }
  const Eigen::MatrixXd X = c.X(Eigen::all, cols);
  const auto first = rows_of(c, {normal[0]});
  const auto others = rows_of(c, std::vector<std::string>(normal.begin() + 1, normal.end()));
  std::vector<std::vector<Eigen::Index>> anomaly_rows;
  for (const auto& l : anomaly) anomaly_rows.push_back(rows_of(c, {l}));

  SetScore s;
  s.groups = groups;
  s.n_features = cols.size();
  s.auc.assign(anomaly.size(), 0.0);
  s.detected.assign(anomaly.size(), 0.0);
  double fa_other = 0;
  const double n_seeds = double(opt.seeds.size());
  for (uint64_t seed : opt.seeds) {
    const Split split = split_make(first.size(), seed);
    auto rows = [&](const std::vector<size_t>& idx) {
      std::vector<Eigen::Index> r;
      for (size_t i : idx) r.push_back(first[i]);
      return r;
    };
    const auto train = rows(split.train), validation = rows(split.validation), test = rows(split.test);
    MahalanobisModel m;
    if (!mahalanobis_fit(X(train, Eigen::all), default_shrinkage("default"), &m, err)) {
      *err = "feature set check: " + *err;
      return false;
    }
    const Eigen::MatrixXd d = X.rowwise() - m.mean.transpose();
    const Eigen::VectorXd scores = (d * m.precision).cwiseProduct(d).rowwise().sum();
    Threshold t;
    if (!threshold_parse(opt.threshold, &t, err) || !threshold_fit(pick(scores, validation), &t, err)) return false;
    const auto test_scores = pick(scores, test);
    for (size_t a = 0; a < anomaly.size(); ++a) {
      const auto as = pick(scores, anomaly_rows[a]);
      s.auc[a] += roc_auc(test_scores, as).value_or(0.5) / n_seeds;
      s.detected[a] += share_above(as, t.value) / n_seeds;
    }
    s.false_alarms_test += share_above(test_scores, t.value) / n_seeds;
    fa_other += share_above(pick(scores, others), t.value) / n_seeds;
  }
  double mean_auc = 0;
  for (double a : s.auc) mean_auc += a / double(std::max<size_t>(1, s.auc.size()));
  if (!others.empty()) s.false_alarms_other = fa_other;
  s.objective = mean_auc - s.false_alarms_other.value_or(0.0);
  *out = std::move(s);
  return true;
}

bool search_feature_sets(const FeatureColumns& c, const std::vector<std::string>& normal,
                         const std::vector<std::string>& anomaly, const SetSearchOptions& opt, SetSearch* out,
                         std::string* err) {
  const std::vector<std::string> all = column_groups(c);
  SetSearch s;
  std::map<std::vector<std::string>, SetScore> seen;  // sorted group list -> score
  auto score = [&](std::vector<std::string> groups, SetScore* r) {
    std::vector<std::string> key = groups;
    std::sort(key.begin(), key.end());
    if (auto it = seen.find(key); it != seen.end()) {
      *r = it->second;
      r->groups = groups;
      return true;
    }
    if (!score_feature_set(c, groups, normal, anomaly, opt, r, err)) return false;
    seen[key] = *r;
    return true;
  };
  for (const auto& g : all) {
    SetScore r;
    if (!score(std::vector<std::string>{g}, &r)) return false;
    s.singles.push_back(r);
  }
  std::vector<std::string> chosen;
  double best = -INFINITY;
  while (chosen.size() < all.size()) {
    SetScore step;
    step.objective = -INFINITY;
    for (const auto& g : all) {
      if (std::find(chosen.begin(), chosen.end(), g) != chosen.end()) continue;
      std::vector<std::string> groups = chosen;
      groups.push_back(g);
      SetScore r;
      if (!score(groups, &r)) return false;
      if (r.objective > step.objective) step = r;
    }
    if (!chosen.empty() && step.objective < best + opt.min_gain) break;
    best = step.objective;
    chosen = step.groups;
    s.path.push_back(step);
  }
  s.recommended = chosen;
  *out = std::move(s);
  return true;
}

Pca2 pca_2d(const Eigen::MatrixXd& X) {
  Pca2 p;
  p.points = Eigen::MatrixXd::Zero(X.rows(), 2);
  if (X.rows() < 2 || X.cols() < 1) return p;
  const Eigen::RowVectorXd mean = X.colwise().mean();
  Eigen::MatrixXd Z = X.rowwise() - mean;
  for (Eigen::Index j = 0; j < Z.cols(); ++j) {
    const double sd = std::sqrt(Z.col(j).squaredNorm() / double(Z.rows() - 1));
    if (sd > 0) Z.col(j) /= sd;
  }
  const Eigen::MatrixXd cov = Z.transpose() * Z / double(Z.rows() - 1);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(cov);
  const Eigen::Index n = cov.rows();
  const double total = std::max(eig.eigenvalues().sum(), 1e-300);
  for (Eigen::Index k = 0; k < std::min<Eigen::Index>(2, n); ++k) {
    const Eigen::Index idx = n - 1 - k;  // eigenvalues ascend
    Eigen::VectorXd axis = eig.eigenvectors().col(idx);
    // Sign convention: the largest loading is positive, so runs agree.
    Eigen::Index big;
    axis.cwiseAbs().maxCoeff(&big);
    if (axis[big] < 0) axis = -axis;
    p.points.col(k) = Z * axis;
    p.explained[k] = eig.eigenvalues()[idx] / total;
  }
  return p;
}

}  // namespace tinyad
