// core_commission_test.cpp: core/tinyad_commission.h against the numpy golden
// (scripts/golden/make_commission_golden.py), in double (tight) and float
// (loose), plus its refusals.
#include <gtest/gtest.h>

#include <vector>

#include "golden_json.h"
#include "tinyad_commission.h"

namespace tinyad {
namespace {

using test::near;

template <typename T>
void replay_golden(double rtol, double atol) {
  const nlohmann::json g = test::load_golden("commission.json");
  ASSERT_FALSE(g.is_null());
  tinyad_commission_params<T> p = tinyad_commission_default_params<T>();
  p.windows = g["windows"].get<uint32_t>();
  p.sd_floor = T(g["sd_floor"].get<double>());
  p.margin = T(g["margin"].get<double>());
  p.track_rate = T(g["track_rate"].get<double>());
  p.track_below = T(g["track_below"].get<double>());
  p.track_bound = T(g["track_bound"].get<double>());
  const auto features = g["features"].get<std::vector<std::vector<double>>>();
  const size_t n = features[0].size();
  std::vector<T> fleet_sd;
  for (double v : g["fleet_sd"].get<std::vector<double>>()) fleet_sd.push_back(T(v));
  std::vector<T> buffer(p.windows * n);
  tinyad_commission<T> c;
  ASSERT_EQ(tinyad_commission_reset(&c, n, p, buffer.data()), TINYAD_STATUS_OK);
  auto row = [&](size_t i) {
    std::vector<T> r;
    for (double v : features[i]) r.push_back(T(v));
    return r;
  };
  T s = 0;
  bool a = false;
  for (size_t i = 0; i < p.windows; ++i) {
    EXPECT_EQ(tinyad_commission_finalize(&c, fleet_sd.data()), TINYAD_STATUS_NOT_READY);
    EXPECT_EQ(tinyad_commission_score(&c, row(i).data(), &s, &a), TINYAD_STATUS_NOT_READY);
    ASSERT_EQ(tinyad_commission_add(&c, row(i).data()), TINYAD_STATUS_OK);
  }
  EXPECT_EQ(tinyad_commission_add(&c, row(0).data()), TINYAD_STATUS_NOT_READY);  // K are in
  ASSERT_EQ(tinyad_commission_finalize(&c, fleet_sd.data()), TINYAD_STATUS_OK);
  for (size_t i = 0; i < n; ++i) {
    EXPECT_TRUE(near(c.mean[i], g["mean"][i].get<double>(), rtol, atol)) << "mean " << i;
    EXPECT_TRUE(near(c.sd[i], g["sd"][i].get<double>(), rtol, atol)) << "sd " << i;
  }
  EXPECT_TRUE(near(c.threshold, g["threshold"].get<double>(), rtol, atol));
  const auto scores = g["monitor_scores"].get<std::vector<double>>();
  for (size_t m = 0; m < scores.size(); ++m) {
    const auto x = row(p.windows + m);
    ASSERT_EQ(tinyad_commission_score(&c, x.data(), &s, &a), TINYAD_STATUS_OK);
    EXPECT_TRUE(near(s, scores[m], rtol, atol)) << "window " << m;
    EXPECT_EQ(a, g["monitor_anomaly"][m].get<bool>()) << "window " << m;
    EXPECT_EQ(tinyad_commission_track(&c, x.data(), s), g["monitor_tracked"][m].get<bool>()) << "window " << m;
    for (size_t i = 0; i < n; ++i)
      EXPECT_TRUE(near(c.mean[i], g["monitor_means"][m][i].get<double>(), rtol, atol)) << m << " " << i;
  }
  EXPECT_TRUE(g["clipped"].get<bool>());  // the golden exercises the tracking bound
}

TEST(CoreCommission, MatchesNumpyGoldenDouble) { replay_golden<double>(1e-9, 1e-12); }
TEST(CoreCommission, MatchesNumpyGoldenFloat) { replay_golden<float>(2e-3, 1e-5); }

TEST(CoreCommission, RefusesBadSetupAndNonFiniteWindows) {
  tinyad_commission<double> c;
  double buf[3 * 4];
  auto p = tinyad_commission_default_params<double>();
  p.windows = 2;  // leave-one-out needs 3
  EXPECT_NE(tinyad_commission_reset(&c, 4, p, buf), TINYAD_STATUS_OK);
  p.windows = 3;
  EXPECT_NE(tinyad_commission_reset(&c, TINYAD_COMMISSION_MAX_FEATURES + 1, p, buf), TINYAD_STATUS_OK);
  EXPECT_EQ(tinyad_commission_reset(&c, 4, p, static_cast<double*>(nullptr)), TINYAD_STATUS_NULL_ARGUMENT);
  ASSERT_EQ(tinyad_commission_reset(&c, 4, p, buf), TINYAD_STATUS_OK);
  const double bad[4] = {0, 1, __builtin_nan(""), 2};
  EXPECT_EQ(tinyad_commission_add(&c, bad), TINYAD_STATUS_NOT_FINITE);
  EXPECT_EQ(c.count, 0u);
  // Three identical windows with a zero fleet sd: no spread, no floor.
  const double same[4] = {1, 2, 3, 4};
  const double zero_sd[4] = {0, 0, 0, 0};
  for (int i = 0; i < 3; ++i) ASSERT_EQ(tinyad_commission_add(&c, same), TINYAD_STATUS_OK);
  EXPECT_EQ(tinyad_commission_finalize(&c, zero_sd), TINYAD_STATUS_SINGULAR);
}

// A fault that grows slowly is not learned away: tracking stops at the bound
// and only follows windows well inside the threshold.
TEST(CoreCommission, SlowFaultIsNotLearnedAway) {
  tinyad_commission<double> c;
  auto p = tinyad_commission_default_params<double>();
  p.windows = 30;
  std::vector<double> buf(30);
  ASSERT_EQ(tinyad_commission_reset(&c, 1, p, buf.data()), TINYAD_STATUS_OK);
  for (int i = 0; i < 30; ++i) {
    const double x = (i % 2 ? 1.0 : -1.0) * (1 + 0.01 * i);
    ASSERT_EQ(tinyad_commission_add(&c, &x), TINYAD_STATUS_OK);
  }
  const double fleet_sd = 1;
  ASSERT_EQ(tinyad_commission_finalize(&c, &fleet_sd), TINYAD_STATUS_OK);
  bool flagged_late = false;
  for (int i = 0; i < 5000; ++i) {  // drifts by 0.002 sd per window: 10 sd in the end
    const double x = 0.002 * i * c.sd[0];
    double s = 0;
    bool a = false;
    ASSERT_EQ(tinyad_commission_score(&c, &x, &s, &a), TINYAD_STATUS_OK);
    tinyad_commission_track(&c, &x, s);
    if (i > 4000) flagged_late = flagged_late || a;
    EXPECT_LE(c.mean[0] - c.origin[0], p.track_bound * c.sd[0] + 1e-12);
  }
  EXPECT_TRUE(flagged_late);
}

}  // namespace
}  // namespace tinyad
