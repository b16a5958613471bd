// c_api_parity_test.cpp: the C API (core/tinyad.h, core/tinyad_c.cpp) gives
// the C++ templates' results bit for bit. Runs the C99 program c_api_test.c
// and redoes each of its steps here with the templates directly (this file
// does not link the C API), then compares the printed lines one by one.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "tinyad_dense.h"
#include "tinyad_features.h"
#include "tinyad_mahalanobis.h"
#include "tinyad_online.h"
#include "tinyad_window.h"

#include "c_api_fixture.h"

namespace {

struct printer {
  std::string text;
  void f(const char* tag, int i, float v) {
    uint32_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    char line[96];
    std::snprintf(line, sizeof line, "%s %d %08lx\n", tag, i, static_cast<unsigned long>(bits));
    text += line;
  }
  void i(const char* tag, int i, long v) { text += std::string(tag) + " " + std::to_string(i) + " " + std::to_string(v) + "\n"; }
};

// c_api_test.c's steps, with the templates.
std::string expected_output() {
  printer out;
  static const tinyad_recipe recipe = CAPI_RECIPE_INIT;
  std::vector<float> rows(CAPI_WINDOW * 3), copy(rows.size()), features(CAPI_N_FEATURES);
  std::vector<float> scratch(CAPI_WINDOW + 3 * 128), prepared(scratch.size());
  std::vector<float> mean(CAPI_N_FEATURES), precision(CAPI_N_FEATURES * CAPI_N_FEATURES);
  std::vector<float> w0(CAPI_HIDDEN * CAPI_N_FEATURES), b0(CAPI_HIDDEN), w1(w0.size()), b1(CAPI_N_FEATURES);
  std::vector<float> in_mean(CAPI_N_FEATURES), in_scale(CAPI_N_FEATURES), net_scratch(4 * CAPI_N_FEATURES);
  EXPECT_EQ(tinyad_recipe_check(&recipe), TINYAD_STATUS_OK);
  out.i("n_features", 0, long(tinyad_recipe_n_features(&recipe)));
  out.i("scratch", 0, long(tinyad_features_scratch_size(&recipe)));
  out.i("scratch_destructive", 0, long(tinyad_features_scratch_size_destructive(&recipe)));
  EXPECT_EQ(tinyad_features_prepare(&recipe, prepared.data(), prepared.size()), TINYAD_STATUS_OK);

  capi_mahalanobis_model(mean.data(), precision.data());
  const tinyad_mahalanobis<float> maha = {CAPI_N_FEATURES, mean.data(), precision.data()};
  capi_autoencoder_model(w0.data(), b0.data(), w1.data(), b1.data(), in_mean.data(), in_scale.data());
  const tinyad_dense_layer<float> layers[2] = {
      {CAPI_N_FEATURES, CAPI_HIDDEN, w0.data(), b0.data(), TINYAD_ACT_RELU},
      {CAPI_HIDDEN, CAPI_N_FEATURES, w1.data(), b1.data(), TINYAD_ACT_LINEAR}};
  const tinyad_autoencoder<float> net = {2, layers, in_mean.data(), in_scale.data()};
  EXPECT_EQ(tinyad_autoencoder_check(&net), TINYAD_STATUS_OK);
  out.i("net_scratch", 0, long(tinyad_autoencoder_scratch_size(&net)));

  auto put_features = [&](const char* tag, int k) {
    for (int i = 0; i < CAPI_N_FEATURES; ++i) out.f(tag, k * CAPI_N_FEATURES + i, features[i]);
  };
  for (int k = 0; k < CAPI_N_WINDOWS; ++k) {
    float score = 0;
    capi_window(rows.data(), k);
    EXPECT_EQ(tinyad_features_extract(&recipe, rows.data(), CAPI_WINDOW, features.data(), features.size(),
                                      scratch.data(), scratch.size()),
              TINYAD_STATUS_OK);
    put_features("features", k);
    EXPECT_EQ(tinyad_mahalanobis_score(&maha, features.data(), CAPI_N_FEATURES, &score), TINYAD_STATUS_OK);
    out.f("mahalanobis", k, score);
    EXPECT_EQ(tinyad_autoencoder_score(&net, features.data(), CAPI_N_FEATURES, net_scratch.data(),
                                       net_scratch.size(), &score),
              TINYAD_STATUS_OK);
    out.f("autoencoder", k, score);
    EXPECT_EQ((tinyad_features_extract<float, TINYAD_GROUPS_ALL, true>(
                  &recipe, rows.data(), CAPI_WINDOW, features.data(), features.size(), prepared.data(),
                  prepared.size())),
              TINYAD_STATUS_OK);
    put_features("features_prepared", k);
    copy = rows;
    EXPECT_EQ(tinyad_features_extract_destructive(&recipe, copy.data(), CAPI_WINDOW, features.data(),
                                                  features.size(), scratch.data(), scratch.size()),
              TINYAD_STATUS_OK);
    put_features("features_destructive", k);
  }

  const tinyad_mahalanobis_detector<float> mdet = {&recipe, maha, 200.0f, features.data(), prepared.data(),
                                                   prepared.size()};
  const tinyad_autoencoder_detector<float> adet = {&recipe, &net, 1.0f, features.data(), CAPI_N_FEATURES,
                                                   prepared.data(), prepared.size(), net_scratch.data(),
                                                   net_scratch.size()};
  tinyad_window<float> w;
  tinyad_window_init(&w, copy.data(), CAPI_WINDOW);
  for (int k = 0; k < CAPI_N_WINDOWS; ++k) {
    capi_window(rows.data(), k);
    tinyad_verdict<float> v = tinyad_mahalanobis_window_verdict<float, TINYAD_GROUPS_ALL, true>(&mdet, &w);
    out.i("early_status", k, long(v.status));
    bool full = false;
    for (int i = 0; i < CAPI_WINDOW; ++i) full = tinyad_window_push(&w, rows[3 * i], rows[3 * i + 1], rows[3 * i + 2]);
    out.i("full", k, full);
    out.i("push_into_full", k, tinyad_window_push(&w, 9.0f, 9.0f, 9.0f));
    v = k % 2 == 0 ? tinyad_mahalanobis_window_verdict<float, TINYAD_GROUPS_ALL, true>(&mdet, &w)
                   : tinyad_autoencoder_window_verdict<float, TINYAD_GROUPS_ALL, true>(&adet, &w);
    out.i("verdict_status", k, long(v.status));
    out.f("verdict_score", k, v.score);
    out.i("verdict_anomaly", k, v.anomaly);
    out.i("count_after", k, long(w.count));
  }
  tinyad_window_push(&w, 1.0f, 2.0f, 3.0f);
  tinyad_window_reset(&w);
  out.i("count_after_reset", 0, long(w.count));

  tinyad_learner<float> learner;
  float l_mean[CAPI_LEARN_DIM], l_m2[CAPI_LEARN_DIM * CAPI_LEARN_DIM], l_precision[CAPI_LEARN_DIM * CAPI_LEARN_DIM];
  tinyad_learner_init(&learner, CAPI_LEARN_DIM, l_mean, l_m2, l_precision, CAPI_N_LEARN, CAPI_N_CALIBRATE, 3.0f);
  for (int k = 0; k < CAPI_N_LEARN + CAPI_N_CALIBRATE + CAPI_N_MONITOR; ++k) {
    float x[CAPI_LEARN_DIM], score = -1.0f;
    bool anomaly = true;
    capi_learn_vector(x, k);
    EXPECT_EQ(tinyad_learner_add(&learner, x, &score, &anomaly), TINYAD_STATUS_OK);
    out.f("learn_score", k, score);
    out.i("learn_anomaly", k, anomaly);
    out.i("learn_phase", k, learner.phase);
  }
  out.f("learn_threshold", 0, learner.threshold);
  for (int i = 0; i < CAPI_LEARN_DIM * CAPI_LEARN_DIM; ++i) out.f("learn_precision", i, l_precision[i]);
  return out.text;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> v;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) v.push_back(line);
  return v;
}

TEST(CApi, C99ProgramMatchesTemplatesBitForBit) {
  FILE* p = ::popen(TINYAD_C_API_TEST, "r");
  ASSERT_NE(p, nullptr) << "cannot run " << TINYAD_C_API_TEST;
  std::string got;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) got.append(buf, n);
  const int rc = ::pclose(p);
  EXPECT_EQ(rc, 0) << TINYAD_C_API_TEST << " reported a failed call (see stderr)";

  const std::vector<std::string> want = lines(expected_output()), have = lines(got);
  ASSERT_EQ(have.size(), want.size()) << "the C program printed a different number of results";
  int mismatches = 0;
  for (size_t i = 0; i < want.size(); ++i)
    if (have[i] != want[i] && ++mismatches <= 10) ADD_FAILURE() << "C: " << have[i] << "  C++: " << want[i];
  EXPECT_EQ(mismatches, 0);

  // The scenario is meant to reach every outcome: both detectors say
  // anomaly at least once and not always, the learner reaches monitoring.
  int verdict_anomalies = 0, learn_anomalies = 0;
  bool monitoring = false;
  for (const std::string& l : want) {
    if (l.rfind("verdict_anomaly ", 0) == 0 && l.back() == '1') ++verdict_anomalies;
    if (l.rfind("learn_anomaly ", 0) == 0 && l.back() == '1') ++learn_anomalies;
    if (l.rfind("learn_phase ", 0) == 0 && l.back() == '0' + TINYAD_PHASE_MONITOR) monitoring = true;
  }
  EXPECT_GT(verdict_anomalies, 0);
  EXPECT_LT(verdict_anomalies, CAPI_N_WINDOWS);
  EXPECT_GT(learn_anomalies, 0);
  EXPECT_TRUE(monitoring);
}

}  // namespace
