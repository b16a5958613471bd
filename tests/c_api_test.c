/* c_api_test.c: a plain C99 program (-std=c99 -pedantic -Werror) using only
   core/tinyad.h: scores the synthetic windows of c_api_fixture.h with every
   C entry point and prints each result as "tag index value" (floats as their
   32 bits in hex). c_api_parity_test.cpp runs it and compares every line
   with the same steps done by the C++ templates. Exit status 1 when a call
   that must succeed does not. */
#include <stdio.h>
#include <string.h>

#include "tinyad.h"
#include "c_api_fixture.h"

static int g_failed = 0;

static void put_f(const char* tag, int i, float v) {
  uint32_t bits;
  memcpy(&bits, &v, sizeof bits);
  printf("%s %d %08lx\n", tag, i, (unsigned long)bits);
}

static void put_i(const char* tag, int i, long v) { printf("%s %d %ld\n", tag, i, v); }

static void expect_ok(const char* what, enum tinyad_status st) {
  if (st != TINYAD_STATUS_OK) {
    fprintf(stderr, "c_api_test: %s: %s\n", what, tinyad_status_str(st));
    g_failed = 1;
  }
}

static float g_rows[CAPI_WINDOW * 3];
static float g_copy[CAPI_WINDOW * 3];
static float g_features[CAPI_N_FEATURES];
static float g_scratch[CAPI_WINDOW + 3 * 128];
static float g_prepared[CAPI_WINDOW + 3 * 128];
static float g_mean[CAPI_N_FEATURES];
static float g_precision[CAPI_N_FEATURES * CAPI_N_FEATURES];
static float g_w0[CAPI_HIDDEN * CAPI_N_FEATURES], g_b0[CAPI_HIDDEN];
static float g_w1[CAPI_N_FEATURES * CAPI_HIDDEN], g_b1[CAPI_N_FEATURES];
static float g_in_mean[CAPI_N_FEATURES], g_in_scale[CAPI_N_FEATURES];
static float g_net_scratch[4 * CAPI_N_FEATURES];

static void put_features(const char* tag, int k) {
  int i;
  for (i = 0; i < CAPI_N_FEATURES; ++i) put_f(tag, k * CAPI_N_FEATURES + i, g_features[i]);
}

int main(void) {
  static const tinyad_recipe recipe = CAPI_RECIPE_INIT;
  tinyad_mahalanobis_f maha;
  tinyad_dense_layer_f layers[2];
  tinyad_autoencoder_f net;
  tinyad_mahalanobis_detector_f mdet;
  tinyad_autoencoder_detector_f adet;
  tinyad_window_f w;
  tinyad_learner_f learner;
  float l_mean[CAPI_LEARN_DIM], l_m2[CAPI_LEARN_DIM * CAPI_LEARN_DIM], l_precision[CAPI_LEARN_DIM * CAPI_LEARN_DIM];
  int k, i;

  expect_ok("recipe check", tinyad_recipe_check_f(&recipe));
  put_i("n_features", 0, (long)tinyad_recipe_n_features_f(&recipe));
  put_i("scratch", 0, (long)tinyad_features_scratch_size_f(&recipe));
  put_i("scratch_destructive", 0, (long)tinyad_features_scratch_size_destructive_f(&recipe));
  if (tinyad_features_scratch_size_f(&recipe) > sizeof g_scratch / sizeof g_scratch[0]) {
    fprintf(stderr, "c_api_test: scratch buffers too small\n");
    return 1;
  }
  expect_ok("prepare", tinyad_features_prepare_f(&recipe, g_prepared, sizeof g_prepared / sizeof g_prepared[0]));

  capi_mahalanobis_model(g_mean, g_precision);
  maha.n = CAPI_N_FEATURES;
  maha.mean = g_mean;
  maha.precision = g_precision;
  capi_autoencoder_model(g_w0, g_b0, g_w1, g_b1, g_in_mean, g_in_scale);
  layers[0].n_in = CAPI_N_FEATURES;
  layers[0].n_out = CAPI_HIDDEN;
  layers[0].weights = g_w0;
  layers[0].bias = g_b0;
  layers[0].activation = TINYAD_ACT_RELU;
  layers[1].n_in = CAPI_HIDDEN;
  layers[1].n_out = CAPI_N_FEATURES;
  layers[1].weights = g_w1;
  layers[1].bias = g_b1;
  layers[1].activation = TINYAD_ACT_LINEAR;
  net.n_layers = 2;
  net.layers = layers;
  net.input_mean = g_in_mean;
  net.input_scale = g_in_scale;
  expect_ok("autoencoder check", tinyad_autoencoder_check_f(&net));
  put_i("net_scratch", 0, (long)tinyad_autoencoder_scratch_size_f(&net));

  /* One call at a time: features (kept, prepared, destructive), both scores. */
  for (k = 0; k < CAPI_N_WINDOWS; ++k) {
    float score;
    capi_window(g_rows, k);
    expect_ok("extract", tinyad_features_extract_f(&recipe, g_rows, CAPI_WINDOW, g_features, CAPI_N_FEATURES,
                                                   g_scratch, sizeof g_scratch / sizeof g_scratch[0], false));
    put_features("features", k);
    expect_ok("mahalanobis", tinyad_mahalanobis_score_f(&maha, g_features, CAPI_N_FEATURES, &score));
    put_f("mahalanobis", k, score);
    expect_ok("autoencoder", tinyad_autoencoder_score_f(&net, g_features, CAPI_N_FEATURES, g_net_scratch,
                                                        sizeof g_net_scratch / sizeof g_net_scratch[0], &score));
    put_f("autoencoder", k, score);
    expect_ok("extract prepared",
              tinyad_features_extract_f(&recipe, g_rows, CAPI_WINDOW, g_features, CAPI_N_FEATURES, g_prepared,
                                        sizeof g_prepared / sizeof g_prepared[0], true));
    put_features("features_prepared", k);
    memcpy(g_copy, g_rows, sizeof g_rows);
    expect_ok("extract destructive",
              tinyad_features_extract_destructive_f(&recipe, g_copy, CAPI_WINDOW, g_features, CAPI_N_FEATURES,
                                                    g_scratch, sizeof g_scratch / sizeof g_scratch[0], false));
    put_features("features_destructive", k);
  }

  /* The device loop: readings one at a time, a verdict per full window,
     Mahalanobis and autoencoder in turn. */
  mdet.recipe = &recipe;
  mdet.model = maha;
  mdet.threshold = 200.0f;
  mdet.features = g_features;
  mdet.scratch = g_prepared;
  mdet.scratch_cap = sizeof g_prepared / sizeof g_prepared[0];
  adet.recipe = &recipe;
  adet.net = &net;
  adet.threshold = 1.0f;
  adet.features = g_features;
  adet.n_features = CAPI_N_FEATURES;
  adet.scratch = g_prepared;
  adet.scratch_cap = mdet.scratch_cap;
  adet.net_scratch = g_net_scratch;
  adet.net_scratch_cap = sizeof g_net_scratch / sizeof g_net_scratch[0];
  tinyad_window_init_f(&w, g_copy, CAPI_WINDOW);
  for (k = 0; k < CAPI_N_WINDOWS; ++k) {
    tinyad_verdict_f v;
    int full = 0;
    capi_window(g_rows, k);
    v = tinyad_mahalanobis_window_verdict_f(&mdet, &w, true);
    put_i("early_status", k, (long)v.status);
    for (i = 0; i < CAPI_WINDOW; ++i)
      full = tinyad_window_push_f(&w, g_rows[3 * i], g_rows[3 * i + 1], g_rows[3 * i + 2]);
    put_i("full", k, full);
    put_i("push_into_full", k, tinyad_window_push_f(&w, 9.0f, 9.0f, 9.0f));
    v = k % 2 == 0 ? tinyad_mahalanobis_window_verdict_f(&mdet, &w, true)
                   : tinyad_autoencoder_window_verdict_f(&adet, &w, true);
    put_i("verdict_status", k, (long)v.status);
    put_f("verdict_score", k, v.score);
    put_i("verdict_anomaly", k, v.anomaly);
    put_i("count_after", k, (long)w.count);
  }
  tinyad_window_push_f(&w, 1.0f, 2.0f, 3.0f);
  tinyad_window_reset_f(&w);
  put_i("count_after_reset", 0, (long)w.count);

  /* On-device learning: learn, calibrate, monitor. */
  tinyad_learner_init_f(&learner, CAPI_LEARN_DIM, l_mean, l_m2, l_precision, CAPI_N_LEARN, CAPI_N_CALIBRATE, 3.0f);
  for (k = 0; k < CAPI_N_LEARN + CAPI_N_CALIBRATE + CAPI_N_MONITOR; ++k) {
    float x[CAPI_LEARN_DIM], score = -1.0f;
    bool anomaly = true;
    capi_learn_vector(x, k);
    expect_ok("learner", tinyad_learner_add_f(&learner, x, &score, &anomaly));
    put_f("learn_score", k, score);
    put_i("learn_anomaly", k, anomaly);
    put_i("learn_phase", k, learner.phase);
  }
  put_f("learn_threshold", 0, learner.threshold);
  for (i = 0; i < CAPI_LEARN_DIM * CAPI_LEARN_DIM; ++i) put_f("learn_precision", i, l_precision[i]);
  return g_failed;
}
