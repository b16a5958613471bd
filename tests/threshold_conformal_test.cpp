// threshold_conformal_test.cpp: the split-conformal threshold rule and the
// Clopper-Pearson interval against tests/golden/thresholds.json (made by
// scripts/golden/make_threshold_golden.py from numpy/scipy, exact ranks).
#include <gtest/gtest.h>

#include "false_alarm_rate.h"
#include "golden_json.h"
#include "model.h"
#include "threshold.h"

namespace {

using tinyad::test::load_golden;
using tinyad::test::near;

TEST(ConformalThreshold, MatchesNumpyOnFixedScores) {
  const nlohmann::json g = load_golden("thresholds.json");
  ASSERT_FALSE(g.is_null());
  for (const auto& c : g["conformal"]) {
    const auto scores = c["scores"].get<std::vector<double>>();
    const std::string spec = "conformal:" + c["p"].get<std::string>();
    SCOPED_TRACE(spec + " on " + std::to_string(scores.size()) + " scores");
    tinyad::Threshold t;
    std::string err;
    ASSERT_TRUE(tinyad::threshold_parse(spec, &t, &err)) << err;
    EXPECT_EQ(tinyad::conformal_rank(scores.size(), t.param), c["k"].get<size_t>());
    if (c["refused"].get<bool>()) {
      EXPECT_FALSE(tinyad::threshold_fit(scores, &t, &err));
      EXPECT_NE(err.find("needs at least " + std::to_string(c["min_windows"].get<size_t>()) +
                         " calibration (validation) windows, got " + std::to_string(scores.size())),
                std::string::npos)
          << err;
      continue;
    }
    ASSERT_TRUE(tinyad::threshold_fit(scores, &t, &err)) << err;
    EXPECT_EQ(t.value, c["value"].get<double>());  // an order statistic: exact
    ASSERT_TRUE(t.expected_false_alarms);
    EXPECT_DOUBLE_EQ(*t.expected_false_alarms, c["expected"].get<double>());
    EXPECT_LE(*t.expected_false_alarms, t.param + 1e-12);
    EXPECT_EQ(t.n_calibration, scores.size());
    ASSERT_TRUE(t.calibration_rate);
    EXPECT_DOUBLE_EQ(*t.calibration_rate, c["calibration_rate"].get<double>());
  }
}

TEST(ConformalThreshold, SpecRoundTripsAndRejectsOutOfRange) {
  tinyad::Threshold t;
  std::string err;
  ASSERT_TRUE(tinyad::threshold_parse("conformal:0.01", &t, &err)) << err;
  EXPECT_EQ(t.method, "conformal");
  EXPECT_EQ(t.param, 0.01);
  EXPECT_EQ(tinyad::threshold_spec(t), "conformal:0.01");
  for (const std::string bad : {"conformal:", "conformal:0", "conformal:1", "conformal:-0.1", "conformal:x"})
    EXPECT_FALSE(tinyad::threshold_parse(bad, &t, &err)) << bad;
  EXPECT_NE(err.find("conformal:P"), std::string::npos) << err;
}

TEST(ConformalThreshold, ModelFileKeepsTheCalibration) {
  tinyad::Model m;
  tinyad::MahalanobisModel md;
  md.mean = Eigen::VectorXd::Zero(tinyad_recipe_n_features(&m.recipe.core));
  std::string err;
  ASSERT_TRUE(tinyad::threshold_parse("conformal:0.05", &m.threshold, &err));
  std::vector<double> scores;
  for (int i = 1; i <= 59; ++i) scores.push_back(i);
  ASSERT_TRUE(tinyad::threshold_fit(scores, &m.threshold, &err)) << err;
  const nlohmann::json j = tinyad::model_to_json(m)["threshold"];
  EXPECT_EQ(j["method"], "conformal");
  EXPECT_EQ(j["n_calibration"], 59);
  EXPECT_DOUBLE_EQ(j["expected_false_alarms"].get<double>(), 3.0 / 60.0);  // k = 57
  EXPECT_DOUBLE_EQ(j["calibration_false_alarms"].get<double>(), 2.0 / 59.0);
  EXPECT_EQ(j["value"], 57.0);
}

TEST(ClopperPearson, MatchesScipyBetaPpf) {
  const nlohmann::json g = load_golden("thresholds.json");
  ASSERT_FALSE(g.is_null());
  for (const auto& c : g["clopper_pearson"]) {
    const auto k = c["k"].get<size_t>(), n = c["n"].get<size_t>();
    SCOPED_TRACE(std::to_string(k) + "/" + std::to_string(n));
    const tinyad::RateCI r = tinyad::clopper_pearson(k, n, c["level"].get<double>());
    EXPECT_EQ(r.k, k);
    EXPECT_EQ(r.n, n);
    EXPECT_DOUBLE_EQ(r.rate, double(k) / double(n));
    EXPECT_TRUE(near(r.lo, c["lo"].get<double>(), 1e-9, 1e-14));
    EXPECT_TRUE(near(r.hi, c["hi"].get<double>(), 1e-9, 1e-14));
  }
  const tinyad::RateCI none = tinyad::clopper_pearson(0, 0);
  EXPECT_EQ(none.lo, 0.0);
  EXPECT_EQ(none.hi, 1.0);
}

TEST(ClopperPearson, IncompleteBetaMatchesScipyBetainc) {
  const nlohmann::json g = load_golden("thresholds.json");
  ASSERT_FALSE(g.is_null());
  for (const auto& c : g["incomplete_beta"]) {
    const double a = c["a"], b = c["b"], x = c["x"];
    EXPECT_TRUE(near(tinyad::incomplete_beta(a, b, x), c["value"].get<double>(), 1e-11, 1e-15))
        << "I_" << x << "(" << a << ", " << b << ")";
    EXPECT_TRUE(near(tinyad::incomplete_beta_inverse(a, b, c["value"].get<double>()), x, 1e-8, 1e-12));
  }
}

}  // namespace
