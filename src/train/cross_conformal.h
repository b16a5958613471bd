// cross_conformal.h: out-of-fold scores for the cv-conformal threshold
// (docs/thresholds.md). Split-conformal calibrates on the validation windows
// alone (59 on the ceiling fan, too few for P = 1 %); here every non-test
// normal window gets a score from a detector fitted without it: the windows
// are cut into K folds, and each fold is scored by a detector fitted on the
// other K - 1. The threshold is then the conformal order statistic of all
// these scores, applied to the final detector.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tinyad {

/// Fits a detector on `fit_rows` and scores `score_rows` (one score a row).
using FitAndScore =
    std::function<bool(const Eigen::MatrixXd& fit_rows, const Eigen::MatrixXd& score_rows, Eigen::VectorXd* scores,
                       std::string* err)>;

/// Fold of each of n windows: a seeded shuffle dealt round-robin into k
/// folds, so fold sizes differ by at most one. k in [2, n].
std::vector<size_t> cv_folds(size_t n, size_t k, uint64_t seed);

/// The same over units (split.h: contiguous_units): the distinct units, in
/// the order they first appear, are shuffled and dealt as cv_folds deals
/// windows, and every window goes to its unit's fold, so the consecutive
/// windows of a long recording are held out together and an out-of-fold
/// score is not made by a model fitted on the window's neighbours. When
/// every unit has one window this is exactly cv_folds(units.size(), k,
/// seed). k in [2, distinct units].
std::vector<size_t> cv_folds_grouped(const std::vector<std::string>& units, size_t k, uint64_t seed);

/// Out-of-fold scores of the rows of X, in row order: row i scored by the
/// detector fitted on the rows whose fold differs from fold[i].
bool out_of_fold_scores(const Eigen::MatrixXd& X, const std::vector<size_t>& fold, size_t k,
                        const FitAndScore& fit_and_score, std::vector<double>* scores, std::string* err);

}  // namespace tinyad
