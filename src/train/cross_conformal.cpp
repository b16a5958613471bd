// cross_conformal.cpp: see cross_conformal.h.
#include "cross_conformal.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <random>

namespace tinyad {

std::vector<size_t> cv_folds(size_t n, size_t k, uint64_t seed) {
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t(0));
  // Fisher-Yates with mt19937_64 directly (std::shuffle's use of the engine
  // is implementation-defined; this keeps folds the same on every platform).
  std::mt19937_64 rng(seed ^ 0x6376666f6c647321ULL);  // "cvfolds!": not the split's stream
  for (size_t i = n; i > 1; --i) std::swap(order[i - 1], order[size_t(rng() % i)]);
  std::vector<size_t> fold(n);
  for (size_t pos = 0; pos < n; ++pos) fold[order[pos]] = pos % k;
  return fold;
}

std::vector<size_t> cv_folds_grouped(const std::vector<std::string>& units, size_t k, uint64_t seed) {
  std::map<std::string, size_t> index;  // unit -> its position among the distinct units
  std::vector<size_t> unit_of(units.size());
  for (size_t i = 0; i < units.size(); ++i) unit_of[i] = index.emplace(units[i], index.size()).first->second;
  const std::vector<size_t> unit_fold = cv_folds(index.size(), k, seed);
  std::vector<size_t> fold(units.size());
  for (size_t i = 0; i < units.size(); ++i) fold[i] = unit_fold[unit_of[i]];
  return fold;
}

bool out_of_fold_scores(const Eigen::MatrixXd& X, const std::vector<size_t>& fold, size_t k,
                        const FitAndScore& fit_and_score, std::vector<double>* scores, std::string* err) {
  const size_t n = size_t(X.rows());
  if (k < 2 || k > n || fold.size() != n) {
    *err = "cross-conformal calibration needs 2 <= folds <= windows (" + std::to_string(n) + "), got " +
           std::to_string(k) + " folds";
    return false;
  }
  scores->assign(n, 0.0);
  for (size_t f = 0; f < k; ++f) {
    std::vector<Eigen::Index> in, out;
    for (size_t i = 0; i < n; ++i) (fold[i] == f ? out : in).push_back(Eigen::Index(i));
    if (out.empty()) continue;
    Eigen::VectorXd s;
    if (!fit_and_score(X(in, Eigen::all), X(out, Eigen::all), &s, err)) {
      *err = "fold " + std::to_string(f + 1) + " of " + std::to_string(k) + ": " + *err;
      return false;
    }
    for (size_t j = 0; j < out.size(); ++j) (*scores)[size_t(out[j])] = s(Eigen::Index(j));
  }
  return true;
}

}  // namespace tinyad
