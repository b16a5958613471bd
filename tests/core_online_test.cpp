// core_online_test.cpp: the device runtime on the host: on-device baseline
// learning (core/tinyad_online.h) against the host's batch fit
// (src/mahalanobis.h, Eigen), and the window buffer / destructive feature
// path (core/tinyad_window.h) against the plain feature extraction.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "mahalanobis.h"
#include "feature_table.h"
#include "window_features.h"
#include "recipe.h"
#include "threshold.h"
#include "tinyad_online.h"
#include "tinyad_window.h"

namespace {

// Correlated Gaussian rows with distinct scales, so every covariance entry matters.
Eigen::MatrixXd correlated_rows(int n_rows, int n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> g(0.0, 1.0);
  Eigen::MatrixXd mix(n, n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) mix(i, j) = (i == j ? 1.0 + i : 0.3 * g(gen));
  Eigen::MatrixXd X(n_rows, n);
  for (int r = 0; r < n_rows; ++r) {
    Eigen::VectorXd z(n);
    for (int i = 0; i < n; ++i) z(i) = g(gen);
    X.row(r) = (mix * z).transpose() + Eigen::VectorXd::LinSpaced(n, 5.0, 9.0).transpose();
  }
  return X;
}

template <typename T>
void online_fit(const Eigen::MatrixXd& X, std::vector<T>* mean, std::vector<T>* precision, tinyad_status* st) {
  const size_t n = size_t(X.cols());
  std::vector<T> m2(n * n);
  mean->assign(n, T(0));
  precision->assign(n * n, T(0));
  tinyad_online_cov<T> c;
  tinyad_online_cov_init(&c, n, mean->data(), m2.data());
  std::vector<T> x(n);
  for (Eigen::Index r = 0; r < X.rows(); ++r) {
    for (size_t i = 0; i < n; ++i) x[i] = T(X(r, Eigen::Index(i)));
    ASSERT_EQ(tinyad_online_cov_add(&c, x.data()), TINYAD_STATUS_OK);
  }
  *st = tinyad_online_cov_finish(&c, precision->data());
}

TEST(CoreOnline, DoubleMatchesHostBatchFit) {
  const Eigen::MatrixXd X = correlated_rows(300, 5, 7);
  tinyad::MahalanobisModel batch;
  std::string err;
  ASSERT_TRUE(tinyad::mahalanobis_fit(X, tinyad::Shrinkage::None, &batch, &err)) << err;
  std::vector<double> mean, precision;
  tinyad_status st = TINYAD_STATUS_NOT_READY;
  online_fit(X, &mean, &precision, &st);
  ASSERT_EQ(st, TINYAD_STATUS_OK);
  for (int i = 0; i < 5; ++i) {
    EXPECT_NEAR(mean[size_t(i)], batch.mean(i), 1e-12 * std::abs(batch.mean(i)));
    for (int j = 0; j < 5; ++j)
      EXPECT_NEAR(precision[size_t(i * 5 + j)], batch.precision(i, j), 1e-9 * batch.precision.cwiseAbs().maxCoeff())
          << i << "," << j;
  }
}

TEST(CoreOnline, FloatScoresMatchHostBatchFit) {
  // What a device learns in float must give the host's scores to float accuracy.
  const Eigen::MatrixXd X = correlated_rows(500, 3, 11);
  tinyad::MahalanobisModel batch;
  std::string err;
  ASSERT_TRUE(tinyad::mahalanobis_fit(X, tinyad::Shrinkage::None, &batch, &err)) << err;
  std::vector<float> mean, precision;
  tinyad_status st = TINYAD_STATUS_NOT_READY;
  online_fit(X, &mean, &precision, &st);
  ASSERT_EQ(st, TINYAD_STATUS_OK);
  const tinyad_mahalanobis<float> m{3, mean.data(), precision.data()};
  const Eigen::VectorXd host = tinyad::mahalanobis_scores(batch, X);
  for (Eigen::Index r = 0; r < X.rows(); r += 17) {
    const float x[3] = {float(X(r, 0)), float(X(r, 1)), float(X(r, 2))};
    float s = 0;
    ASSERT_EQ(tinyad_mahalanobis_score(&m, x, 3, &s), TINYAD_STATUS_OK);
    EXPECT_NEAR(double(s), host(r), 1e-3 * (1.0 + host(r))) << "row " << r;
  }
}

TEST(CoreOnline, SingularAndTooFewAreReported) {
  Eigen::MatrixXd X = correlated_rows(50, 3, 3);
  std::vector<double> mean, precision;
  tinyad_status st = TINYAD_STATUS_NOT_READY;
  online_fit(Eigen::MatrixXd(X.topRows(3)), &mean, &precision, &st);
  EXPECT_EQ(st, TINYAD_STATUS_NOT_READY);  // 3 windows cannot pin down 3 dimensions
  X.col(2) = 2.0 * X.col(0) - X.col(1);   // a stuck / redundant axis
  online_fit(X, &mean, &precision, &st);
  EXPECT_EQ(st, TINYAD_STATUS_SINGULAR);
}

TEST(CoreOnline, LearnerLearnsCalibratesThenMonitors) {
  const Eigen::MatrixXd X = correlated_rows(260, 3, 5);
  std::vector<double> mean(3), m2(9), precision(9);
  tinyad_learner<double> l;
  tinyad_learner_init(&l, 3, mean.data(), m2.data(), precision.data(), 200, 50, 3.0);
  std::vector<double> calib;
  for (Eigen::Index r = 0; r < 250; ++r) {
    const double x[3] = {X(r, 0), X(r, 1), X(r, 2)};
    double s = -1;
    bool anomaly = true;
    ASSERT_EQ(tinyad_learner_add(&l, x, &s, &anomaly), TINYAD_STATUS_OK);
    EXPECT_FALSE(anomaly);
    if (r >= 200) calib.push_back(s);
    EXPECT_EQ(l.phase, r < 199 ? TINYAD_PHASE_LEARN : r < 249 ? TINYAD_PHASE_CALIBRATE : TINYAD_PHASE_MONITOR);
  }
  // The threshold is the host's mean+3sd rule on the same calibration scores,
  // and those scores are the host's batch fit on the learning windows.
  tinyad::MahalanobisModel batch;
  std::string err;
  ASSERT_TRUE(tinyad::mahalanobis_fit(X.topRows(200), tinyad::Shrinkage::None, &batch, &err)) << err;
  const Eigen::VectorXd host = tinyad::mahalanobis_scores(batch, X.middleRows(200, 50));
  for (size_t i = 0; i < calib.size(); ++i) EXPECT_NEAR(calib[i], host(Eigen::Index(i)), 1e-9 * (1 + host(Eigen::Index(i))));
  tinyad::Threshold t;
  ASSERT_TRUE(tinyad::threshold_parse("mean+3sd", &t, &err));
  ASSERT_TRUE(tinyad::threshold_fit(calib, &t, &err)) << err;
  EXPECT_NEAR(l.threshold, t.value, 1e-9 * t.value);
  // Far from the baseline: flagged.
  const double far[3] = {X(0, 0) + 100.0, X(0, 1), X(0, 2)};
  double s = 0;
  bool anomaly = false;
  ASSERT_EQ(tinyad_learner_add(&l, far, &s, &anomaly), TINYAD_STATUS_OK);
  EXPECT_TRUE(anomaly);
  EXPECT_GT(s, l.threshold);
}

// A reproducible fake window of n rows.
template <typename T>
std::vector<T> fake_rows(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> g(0.0, 0.05);
  std::vector<T> rows(n * 3);
  for (size_t i = 0; i < n; ++i)
    for (size_t a = 0; a < 3; ++a) rows[i * 3 + a] = T(double(a) * 0.3 + 0.1 * std::sin(0.2 * double(i * (a + 1))) + g(gen));
  return rows;
}

template <typename T>
void expect_destructive_equal(const std::string& name) {
  tinyad::Recipe r;
  std::string err;
  ASSERT_TRUE(tinyad::recipe_named(name, &r, &err)) << err;
  const size_t n = tinyad_recipe_n_features(&r.core);
  for (uint32_t seed = 1; seed <= 5; ++seed) {
    std::vector<T> rows = fake_rows<T>(r.core.window, seed);
    std::vector<T> plain(n), destroyed(n), scratch(tinyad_features_scratch_size(&r.core));
    ASSERT_EQ(tinyad_features_extract(&r.core, rows.data(), r.core.window, plain.data(), n, scratch.data(),
                                      scratch.size()),
              TINYAD_STATUS_OK);
    const size_t need = tinyad_features_scratch_size_destructive(&r.core);
    if (name == "original") {
      EXPECT_EQ(need, 0u);  // MAD sorts the window itself
    }
    std::vector<T> small(need);
    ASSERT_EQ(tinyad_features_extract_destructive(&r.core, rows.data(), r.core.window, destroyed.data(), n,
                                                  need ? small.data() : nullptr, need),
              TINYAD_STATUS_OK);
    // Bit for bit: a median does not depend on the order it is found in.
    EXPECT_EQ(std::memcmp(plain.data(), destroyed.data(), n * sizeof(T)), 0) << name << " seed " << seed;
  }
}

TEST(CoreWindow, DestructiveFeaturesAreBitExact) {
  expect_destructive_equal<float>("original");
  expect_destructive_equal<double>("original");
  expect_destructive_equal<float>("default");
  expect_destructive_equal<double>("default");
}

// Tables prepared once give the same bits as tables made per window, for
// many windows in a row through the same scratch (MAD, sorting in the FFT
// buffer, must not clobber them), in both entry points.
template <typename T>
void expect_prepared_equal(const std::string& name) {
  tinyad::Recipe r;
  std::string err;
  ASSERT_TRUE(tinyad::recipe_named(name, &r, &err)) << err;
  const size_t n = tinyad_recipe_n_features(&r.core);
  std::vector<T> scratch(tinyad_features_scratch_size(&r.core)), fresh(scratch.size());
  ASSERT_EQ(tinyad_features_prepare(&r.core, scratch.data(), scratch.size()), TINYAD_STATUS_OK);
  for (uint32_t seed = 1; seed <= 5; ++seed) {
    std::vector<T> rows = fake_rows<T>(r.core.window, seed);
    std::vector<T> plain(n), prepared(n), destroyed(n);
    ASSERT_EQ(tinyad_features_extract(&r.core, rows.data(), r.core.window, plain.data(), n, fresh.data(), fresh.size()),
              TINYAD_STATUS_OK);
    ASSERT_EQ((tinyad_features_extract<T, TINYAD_GROUPS_ALL, true>(&r.core, rows.data(), r.core.window,
                                                                    prepared.data(), n, scratch.data(), scratch.size())),
              TINYAD_STATUS_OK);
    ASSERT_EQ((tinyad_features_extract_destructive<T, TINYAD_GROUPS_ALL, true>(
                  &r.core, rows.data(), r.core.window, destroyed.data(), n, scratch.data(), scratch.size())),
              TINYAD_STATUS_OK);
    EXPECT_EQ(std::memcmp(plain.data(), prepared.data(), n * sizeof(T)), 0) << name << " seed " << seed;
    EXPECT_EQ(std::memcmp(plain.data(), destroyed.data(), n * sizeof(T)), 0) << name << " seed " << seed;
  }
}

TEST(CoreWindow, PreparedTablesAreBitExact) {
  expect_prepared_equal<float>("default");
  expect_prepared_equal<double>("default");
  expect_prepared_equal<float>("original");  // no bands: preparing is a no-op
}

// The host's window_features keeps prepared tables per thread: switching
// between recipes (with and without bands, MAD before bands) must not
// reuse tables that were overwritten or made for another size.
TEST(CoreWindow, HostWindowFeaturesSurviveRecipeSwitches) {
  tinyad::Recipe def, orig, mad_first;  // default has MAD before its bands
  std::string err;
  ASSERT_TRUE(tinyad::recipe_named("default", &def, &err)) << err;
  ASSERT_TRUE(tinyad::recipe_named("original", &orig, &err)) << err;
  mad_first = def;
  mad_first.core.window = 250;  // same groups and FFT size, another Hann window
  std::vector<tinyad::Recipe*> order = {&def, &orig, &def, &mad_first, &def, &mad_first, &orig, &mad_first};
  for (size_t i = 0; i < order.size(); ++i) {
    const tinyad_recipe& rc = order[i]->core;
    const std::vector<double> rows = fake_rows<double>(256, uint32_t(i + 1));
    std::vector<double> got, want(tinyad_recipe_n_features(&rc)), scratch(tinyad_features_scratch_size(&rc));
    ASSERT_TRUE(tinyad::window_features(rc, rows, "w", &got, &err)) << err;
    ASSERT_EQ(tinyad_features_extract(&rc, rows.data(), 256, want.data(), want.size(), scratch.data(), scratch.size()),
              TINYAD_STATUS_OK);
    ASSERT_EQ(got.size(), want.size());
    EXPECT_EQ(std::memcmp(got.data(), want.data(), want.size() * sizeof(double)), 0) << "step " << i;
  }
}

TEST(CoreWindow, GroupMaskRejectsGroupsNotBuiltIn) {
  tinyad::Recipe r;
  std::string err;
  ASSERT_TRUE(tinyad::recipe_named("default", &r, &err)) << err;
  std::vector<float> rows = fake_rows<float>(200, 1), out(60), scratch(tinyad_features_scratch_size(&r.core));
  EXPECT_EQ((tinyad_features_extract<float, TINYAD_GROUP_BIT(TINYAD_FEATURE_MAD)>(
                &r.core, rows.data(), 200, out.data(), out.size(), scratch.data(), scratch.size())),
            TINYAD_STATUS_BAD_RECIPE);
}

TEST(CoreWindow, PushOneAtATimeThenVerdict) {
  tinyad::Recipe r;
  std::string err;
  ASSERT_TRUE(tinyad::recipe_named("original", &r, &err)) << err;
  const std::vector<float> rows = fake_rows<float>(128, 9);
  // Reference: plain extraction and score.
  float ref_f[3], scratch[128], ref_score = 0;
  ASSERT_EQ(tinyad_features_extract(&r.core, rows.data(), 128, ref_f, 3, scratch, 128), TINYAD_STATUS_OK);
  const float mean[3] = {0.05f, 0.04f, 0.06f};
  const float precision[9] = {400, 10, 0, 10, 500, -20, 0, -20, 450};
  const tinyad_mahalanobis<float> model{3, mean, precision};
  ASSERT_EQ(tinyad_mahalanobis_score(&model, ref_f, 3, &ref_score), TINYAD_STATUS_OK);

  float buf[128 * 3], features[3];
  tinyad_window<float> w;
  tinyad_window_init(&w, buf, 128);
  const tinyad_mahalanobis_detector<float> d{&r.core, model, ref_score * 0.5f, features, nullptr, 0};
  EXPECT_EQ(tinyad_mahalanobis_window_verdict(&d, &w).status, TINYAD_STATUS_NOT_READY);
  for (int round = 0; round < 2; ++round) {
    for (size_t i = 0; i < 128; ++i) EXPECT_EQ(tinyad_window_push(&w, rows[3 * i], rows[3 * i + 1], rows[3 * i + 2]), i == 127);
    EXPECT_TRUE(tinyad_window_push(&w, 9.f, 9.f, 9.f));  // full: dropped, not mixed in
    const tinyad_verdict<float> v = tinyad_mahalanobis_window_verdict<float, TINYAD_GROUP_BIT(TINYAD_FEATURE_MAD)>(&d, &w);
    ASSERT_EQ(v.status, TINYAD_STATUS_OK);
    EXPECT_EQ(v.score, ref_score);
    EXPECT_TRUE(v.anomaly);
    EXPECT_EQ(w.count, 0u);
  }
}

}  // namespace
