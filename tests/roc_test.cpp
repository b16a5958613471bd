// roc_test.cpp: ROC AUC and ROC points (src/eval/roc.h), numpy-style quantiles and the
// threshold methods (src/threshold.h), against scipy/numpy values in tests/golden/features.json.
// Tolerance 1e-12 relative: every value is a short sum or one interpolation.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "golden_json.h"
#include "roc.h"
#include "threshold.h"

namespace {

using nlohmann::json;
using tinyad::test::load_golden;
using tinyad::test::near;

const json& golden() {
  static const json j = load_golden("features.json");
  return j;
}

TEST(RocAuc, MatchesScipyMannWhitneyWithTies) {
  ASSERT_GE(golden()["auc"].size(), 5u);
  for (const auto& c : golden()["auc"]) {
    const auto normal = c["normal"].get<std::vector<double>>();
    const auto anomaly = c["anomaly"].get<std::vector<double>>();
    const std::optional<double> auc = tinyad::roc_auc(normal, anomaly);
    ASSERT_TRUE(auc.has_value()) << c["name"];
    EXPECT_TRUE(near(*auc, c["auc"].get<double>(), 1e-12, 1e-15)) << c["name"];
  }
}

TEST(RocAuc, EmptyClassGivesNullopt) {
  EXPECT_FALSE(tinyad::roc_auc({}, {1.0, 2.0}).has_value());
  EXPECT_FALSE(tinyad::roc_auc({1.0}, {}).has_value());
  EXPECT_FALSE(tinyad::roc_auc({}, {}).has_value());
  EXPECT_TRUE(tinyad::roc_curve({}, {1.0}).empty());
}

TEST(RocAuc, OrderOfInputsDoesNotMatter) {
  const auto& c = golden()["auc"][0];
  auto normal = c["normal"].get<std::vector<double>>();
  auto anomaly = c["anomaly"].get<std::vector<double>>();
  const double a = *tinyad::roc_auc(normal, anomaly);
  std::reverse(normal.begin(), normal.end());
  std::rotate(anomaly.begin(), anomaly.begin() + 3, anomaly.end());
  EXPECT_EQ(*tinyad::roc_auc(normal, anomaly), a);
}

// Trapezoid area under a ROC curve (ties give a diagonal step, which counts half).
double area(const std::vector<tinyad::RocPoint>& pts) {
  double s = 0;
  for (size_t i = 1; i < pts.size(); ++i)
    s += (pts[i].fpr - pts[i - 1].fpr) * (pts[i].tpr + pts[i - 1].tpr) / 2;
  return s;
}

TEST(RocCurve, EndpointsMonotonicityAndArea) {
  for (const auto& c : golden()["auc"]) {
    const auto normal = c["normal"].get<std::vector<double>>();
    const auto anomaly = c["anomaly"].get<std::vector<double>>();
    const auto pts = tinyad::roc_curve(normal, anomaly);
    ASSERT_GE(pts.size(), 2u) << c["name"];
    EXPECT_EQ(pts.front().fpr, 0.0);
    EXPECT_EQ(pts.front().tpr, 0.0);
    EXPECT_TRUE(std::isinf(pts.front().threshold) && pts.front().threshold > 0);
    EXPECT_EQ(pts.back().fpr, 1.0) << c["name"];
    EXPECT_EQ(pts.back().tpr, 1.0) << c["name"];
    double lowest = std::numeric_limits<double>::infinity();
    for (double s : normal) lowest = std::min(lowest, s);
    for (double s : anomaly) lowest = std::min(lowest, s);
    EXPECT_EQ(pts.back().threshold, lowest);
    for (size_t i = 1; i < pts.size(); ++i) {
      EXPECT_LT(pts[i].threshold, pts[i - 1].threshold);
      EXPECT_GE(pts[i].fpr, pts[i - 1].fpr);
      EXPECT_GE(pts[i].tpr, pts[i - 1].tpr);
    }
    // Each point says how many score >= its threshold: count_above(t) is the strict form.
    for (size_t i = 1; i < pts.size(); ++i) {
      const double below = std::nextafter(pts[i].threshold, -INFINITY);
      EXPECT_EQ(double(tinyad::count_above(normal, below)) / double(normal.size()), pts[i].fpr);
      EXPECT_EQ(double(tinyad::count_above(anomaly, below)) / double(anomaly.size()), pts[i].tpr);
    }
    EXPECT_TRUE(near(area(pts), c["auc"].get<double>(), 1e-12, 1e-15)) << c["name"];
  }
}

TEST(RocCurve, OnePointPerDistinctScore) {
  const auto pts = tinyad::roc_curve({1, 1, 2, 3}, {2, 2, 5});
  ASSERT_EQ(pts.size(), 5u);  // inf, 5, 3, 2, 1
  EXPECT_EQ(pts[1].threshold, 5.0);
  EXPECT_EQ(pts[1].tpr, 1.0 / 3);
  EXPECT_EQ(pts[3].threshold, 2.0);
  EXPECT_EQ(pts[3].fpr, 0.5);
  EXPECT_EQ(pts[3].tpr, 1.0);
}

TEST(CountAbove, IsStrict) {
  EXPECT_EQ(tinyad::count_above({1, 2, 3, 3, 4}, 3.0), 1u);
  EXPECT_EQ(tinyad::count_above({1, 2, 3, 3, 4}, 2.5), 3u);
  EXPECT_EQ(tinyad::count_above({}, 0.0), 0u);
}

TEST(Quantile, MatchesNumpyLinear) {
  ASSERT_GE(golden()["quantile"].size(), 4u);
  for (const auto& c : golden()["quantile"]) {
    const auto values = c["values"].get<std::vector<double>>();
    const auto qs = c["q"].get<std::vector<double>>();
    const auto want = c["quantile"].get<std::vector<double>>();
    for (size_t i = 0; i < qs.size(); ++i)
      EXPECT_TRUE(near(tinyad::quantile(values, qs[i]), want[i], 1e-12, 1e-15)) << c["name"] << " q=" << qs[i];
  }
  EXPECT_TRUE(std::isnan(tinyad::quantile({}, 0.5)));
}

// ------------------------------------------------------------------------------- thresholds

tinyad::Threshold parsed(const std::string& spec) {
  tinyad::Threshold t;
  std::string err;
  EXPECT_TRUE(tinyad::threshold_parse(spec, &t, &err)) << spec << ": " << err;
  return t;
}

TEST(Threshold, ParsesEveryMethod) {
  tinyad::Threshold t = parsed("mean+3sd");
  EXPECT_EQ(t.method, "mean+sd");
  EXPECT_EQ(t.param, 3.0);
  t = parsed("mean+2.5sd");
  EXPECT_EQ(t.param, 2.5);
  t = parsed("mean+0sd");
  EXPECT_EQ(t.param, 0.0);
  t = parsed("quantile:0.99");
  EXPECT_EQ(t.method, "quantile");
  EXPECT_EQ(t.param, 0.99);
  t = parsed("quantile:1");
  EXPECT_EQ(t.param, 1.0);
  t = parsed("3.5*median");
  EXPECT_EQ(t.method, "median");
  EXPECT_EQ(t.param, 3.5);
  t = parsed("9.0");
  EXPECT_EQ(t.method, "fixed");
  EXPECT_EQ(t.value, 9.0);
  t = parsed("1e-3");
  EXPECT_EQ(t.value, 1e-3);
}

TEST(Threshold, RejectsBadSpecs) {
  for (const std::string spec :
       {"", " ", "mean+sd", "mean+-1sd", "mean+3", "3sd", "mean+3sd ", "mean+xsd", "quantile:", "quantile:1.5",
        "quantile:-0.1", "quantile:nan", "quantile 0.9", "0*median", "-1*median", "*median", "median", "abc",
        "nan", "inf", "-inf", "9.0.1", "1e999", "mean+infsd"}) {
    tinyad::Threshold t;
    std::string err;
    EXPECT_FALSE(tinyad::threshold_parse(spec, &t, &err)) << "'" << spec << "' was accepted";
    EXPECT_EQ(err, "threshold '" + spec +
                       "': expected conformal:P (0 < P < 1, e.g. conformal:0.01), mean+Ksd (e.g. mean+3sd), quantile:Q (0..1), K*median (e.g. 3.5*median) "
                       "or a number");
  }
}

TEST(Threshold, SpecRoundTrips) {
  for (const std::string spec : {"mean+3sd", "mean+2.5sd", "quantile:0.99", "quantile:0.995", "3.5*median", "9"}) {
    const tinyad::Threshold t = parsed(spec);
    const tinyad::Threshold back = parsed(tinyad::threshold_spec(t));
    EXPECT_EQ(back.method, t.method) << spec;
    EXPECT_EQ(back.param, t.param) << spec;
    EXPECT_EQ(back.value, t.value) << spec;
  }
  tinyad::Threshold fixed{"fixed", 0.1 + 0.2, 0.1 + 0.2};  // %.17g: exact for any double
  EXPECT_EQ(parsed(tinyad::threshold_spec(fixed)).value, 0.1 + 0.2);
}

TEST(Threshold, FitsEveryMethodLikeNumpy) {
  for (const auto& c : golden()["quantile"]) {
    const auto values = c["values"].get<std::vector<double>>();
    if (values.size() < 2) continue;
    std::string err;
    tinyad::Threshold t = parsed("mean+3sd");
    ASSERT_TRUE(tinyad::threshold_fit(values, &t, &err)) << err;
    // Population sd (numpy's default), as the original notebook.
    EXPECT_TRUE(near(t.value, c["mean_plus_3sd"].get<double>(), 1e-12, 1e-14)) << c["name"];
    t = parsed("2*median");
    ASSERT_TRUE(tinyad::threshold_fit(values, &t, &err)) << err;
    EXPECT_TRUE(near(t.value, 2 * c["median"].get<double>(), 1e-12, 1e-14)) << c["name"];
    const auto qs = c["q"].get<std::vector<double>>();
    for (size_t i = 0; i < qs.size(); ++i) {
      t = parsed("quantile:" + std::to_string(qs[i]));
      ASSERT_EQ(t.param, std::stod(std::to_string(qs[i])));
      if (t.param != qs[i]) continue;  // to_string rounded q: not the golden's q
      ASSERT_TRUE(tinyad::threshold_fit(values, &t, &err)) << err;
      EXPECT_TRUE(near(t.value, c["quantile"][i].get<double>(), 1e-12, 1e-15)) << c["name"] << " q=" << qs[i];
    }
    t = parsed("7.5");
    ASSERT_TRUE(tinyad::threshold_fit(values, &t, &err)) << err;
    EXPECT_EQ(t.value, 7.5);  // fixed: the scores do not matter
  }
}

TEST(Threshold, FitNeedsTwoScoresExceptFixed) {
  for (const std::string spec : {"mean+3sd", "quantile:0.99", "3*median"}) {
    for (const std::vector<double>& scores : {std::vector<double>{}, std::vector<double>{1.0}}) {
      tinyad::Threshold t = parsed(spec);
      std::string err;
      EXPECT_FALSE(tinyad::threshold_fit(scores, &t, &err)) << spec;
      EXPECT_EQ(err, "need at least 2 validation windows to set a threshold, got " + std::to_string(scores.size()));
    }
  }
  tinyad::Threshold t = parsed("3.0");
  std::string err;
  EXPECT_TRUE(tinyad::threshold_fit({}, &t, &err));
  EXPECT_EQ(t.value, 3.0);
}

}  // namespace
