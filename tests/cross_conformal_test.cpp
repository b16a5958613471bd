// cross_conformal_test.cpp: the cv-conformal threshold (out-of-fold scores,
// src/train/cross_conformal.h, and the conformal order statistic of them)
// against numpy (tests/golden/cross_conformal.json, made by
// scripts/golden/make_cross_conformal_golden.py), and its false-alarm rate on
// fresh Gaussian draws.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "cross_conformal.h"
#include "false_alarm_rate.h"
#include "golden_json.h"
#include "mahalanobis.h"
#include "rng.h"
#include "threshold.h"

namespace {

using tinyad::test::load_golden;

// Fits the plain Mahalanobis detector (no shrinkage, as the golden script).
bool fit_and_score(const Eigen::MatrixXd& fit, const Eigen::MatrixXd& score, Eigen::VectorXd* s, std::string* err) {
  tinyad::MahalanobisModel m;
  if (!tinyad::mahalanobis_fit(fit, tinyad::Shrinkage::None, &m, err)) return false;
  *s = tinyad::mahalanobis_scores(m, score);
  return true;
}

TEST(CrossConformal, OutOfFoldScoresAndThresholdMatchNumpy) {
  const nlohmann::json g = load_golden("cross_conformal.json");
  ASSERT_FALSE(g.is_null());
  const auto rows = g["X"].get<std::vector<std::vector<double>>>();
  Eigen::MatrixXd X(Eigen::Index(rows.size()), Eigen::Index(rows[0].size()));
  for (size_t i = 0; i < rows.size(); ++i)
    for (size_t j = 0; j < rows[i].size(); ++j) X(Eigen::Index(i), Eigen::Index(j)) = rows[i][j];
  const auto fold = g["fold"].get<std::vector<size_t>>();
  const auto want = g["oof_scores"].get<std::vector<double>>();
  std::vector<double> oof;
  std::string err;
  ASSERT_TRUE(tinyad::out_of_fold_scores(X, fold, g["folds"].get<size_t>(), fit_and_score, &oof, &err)) << err;
  ASSERT_EQ(oof.size(), want.size());
  for (size_t i = 0; i < oof.size(); ++i) EXPECT_NEAR(oof[i], want[i], 1e-9 * (1 + want[i])) << "row " << i;
  for (const auto& c : g["thresholds"]) {
    tinyad::Threshold t;
    ASSERT_TRUE(tinyad::threshold_parse("cv-conformal:" + c["p"].get<std::string>(), &t, &err)) << err;
    EXPECT_EQ(tinyad::threshold_spec(t), "cv-conformal:" + c["p"].get<std::string>());
    ASSERT_TRUE(tinyad::threshold_fit(oof, &t, &err)) << err;
    EXPECT_EQ(tinyad::conformal_rank(oof.size(), t.param), c["k"].get<size_t>());
    EXPECT_NEAR(t.value, c["value"].get<double>(), 1e-9 * c["value"].get<double>());
    ASSERT_TRUE(t.expected_false_alarms);
    EXPECT_DOUBLE_EQ(*t.expected_false_alarms, c["expected"].get<double>());
    EXPECT_EQ(t.n_calibration, oof.size());
  }
}

TEST(CrossConformal, SpecNeedsARateBetweenZeroAndOne) {
  for (const std::string spec : {"cv-conformal:", "cv-conformal:0", "cv-conformal:1", "cv-conformal:-0.1",
                                 "cv-conformal:nan", "cv-conformal 0.01", "cv-conformal:0.01x"}) {
    tinyad::Threshold t;
    std::string err;
    EXPECT_FALSE(tinyad::threshold_parse(spec, &t, &err)) << "'" << spec << "' was accepted";
  }
}

// Folds over units: one-window units are cv_folds exactly; the windows of
// a unit share its fold, and every fold gets a unit.
TEST(CrossConformal, GroupedFoldsKeepUnitsTogether) {
  std::vector<std::string> singles;
  for (size_t i = 0; i < 239; ++i) singles.push_back("l/" + std::to_string(i) + ".csv");
  EXPECT_EQ(tinyad::cv_folds_grouped(singles, 10, 3), tinyad::cv_folds(239, 10, 3));
  std::vector<std::string> units;  // 12 stretches of 9 windows, in time order
  for (size_t i = 0; i < 108; ++i) units.push_back("l/rec.csv@" + std::to_string(i / 9));
  const std::vector<size_t> fold = tinyad::cv_folds_grouped(units, 10, 3);
  ASSERT_EQ(fold.size(), units.size());
  std::set<size_t> used;
  for (size_t i = 0; i < units.size(); ++i) {
    used.insert(fold[i]);
    if (i % 9 != 0) EXPECT_EQ(fold[i], fold[i - 1]) << "window " << i << " left its stretch's fold";
  }
  EXPECT_EQ(used.size(), 10u);
}

TEST(CrossConformal, FoldsAreBalancedAndSeeded) {
  const auto a = tinyad::cv_folds(239, 4, 7), b = tinyad::cv_folds(239, 4, 7), c = tinyad::cv_folds(239, 4, 8);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  size_t count[4] = {0, 0, 0, 0};
  for (size_t f : a) ++count[f];
  for (size_t n : count) EXPECT_TRUE(n == 59 || n == 60) << n;
  std::vector<double> s;
  std::string err;
  EXPECT_FALSE(tinyad::out_of_fold_scores(Eigen::MatrixXd::Zero(3, 2), {0, 1, 2}, 4, fit_and_score, &s, &err));
  EXPECT_NE(err.find("2 <= folds <= windows (3)"), std::string::npos) << err;
}

// Standard normal rows (Box-Muller from tinyad's own RNG: the same on every platform).
Eigen::MatrixXd gaussian(Eigen::Index r, Eigen::Index c, tinyad::Rng* rng) {
  Eigen::MatrixXd m(r, c);
  for (Eigen::Index i = 0; i < r; ++i)
    for (Eigen::Index j = 0; j < c; ++j)
      m(i, j) = std::sqrt(-2 * std::log(1 - rng->uniform())) * std::cos(2 * M_PI * rng->uniform());
  return m;
}

// The protocol of `train --false-alarms P --calibration cv` on synthetic
// normal windows: 239 non-test windows, the final model fitted on the first
// 179 (the training split), the threshold from the out-of-fold scores of all
// 239 with 4 folds (179 windows per fold model). Its rate on fresh draws,
// pooled over 40 such calibrations, lies within the binomial interval of P.
// In-sample scores (the final model scoring its own windows) would put the
// threshold too low in 8 dimensions; this checks the folds keep them out.
TEST(CrossConformal, RateOnFreshDrawsIsAboutP) {
  const double p = 0.05;
  const Eigen::Index d = 8, n = 239, n_train = 179, fresh = 500;
  const size_t reps = 40;
  tinyad::Rng rng(20261203);
  size_t flagged = 0, total = 0;
  std::string err;
  for (size_t r = 0; r < reps; ++r) {
    const Eigen::MatrixXd X = gaussian(n, d, &rng);
    std::vector<double> oof;
    ASSERT_TRUE(tinyad::out_of_fold_scores(X, tinyad::cv_folds(size_t(n), 4, r), 4, fit_and_score, &oof, &err))
        << err;
    tinyad::Threshold t;
    ASSERT_TRUE(tinyad::threshold_parse("cv-conformal:0.05", &t, &err)) << err;
    ASSERT_TRUE(tinyad::threshold_fit(oof, &t, &err)) << err;
    tinyad::MahalanobisModel final_model;
    ASSERT_TRUE(tinyad::mahalanobis_fit(X.topRows(n_train), tinyad::Shrinkage::None, &final_model, &err)) << err;
    const Eigen::VectorXd s = tinyad::mahalanobis_scores(final_model, gaussian(fresh, d, &rng));
    for (double v : s) flagged += v > t.value;
    total += size_t(fresh);
  }
  const tinyad::RateCI ci = tinyad::clopper_pearson(flagged, total, 0.99);
  EXPECT_LE(ci.lo, p) << flagged << "/" << total;
  EXPECT_GE(ci.hi, p) << flagged << "/" << total;
}

}  // namespace
