// selftest.ino: runs the exported test windows through the core on the
// board and prints one PASS/FAIL line on serial: the same check
// `make mcu-test` runs under QEMU (mcu/selftest.cpp), here on real hardware.
// Setup: copy this file and core/*.h into build/sketch/selftest/, then
// `tinyad export MODEL.json build/sketch/selftest --to c` writes tinyad_model.h
// and tinyad_test_windows.h there (not into the tracked firmware/).
// The host computed the scores without fused multiply-add; so must we (ESP32 has madd.s).
#pragma GCC optimize("fp-contract=off")
#include <Arduino.h>

#include "tinyad_window.h"
#include "tinyad_model.h"
#include "tinyad_test_windows.h"

static float rows[TINYAD_MODEL_WINDOW * 3];
static float features[TINYAD_MODEL_N_FEATURES];
#if TINYAD_MODEL_SCRATCH > 0
static float scratch[TINYAD_MODEL_SCRATCH];
#else
static float* const scratch = nullptr;
#endif
#ifdef TINYAD_MODEL_AUTOENCODER
static float net_scratch[TINYAD_MODEL_NET_SCRATCH];
#endif

static tinyad_verdict<float> score(tinyad_window<float>* w) {
#ifdef TINYAD_MODEL_MAHALANOBIS
  static const tinyad_mahalanobis_detector<float> d = {
      &tinyad_model_recipe, {TINYAD_MODEL_N_FEATURES, tinyad_model_mean, tinyad_model_precision},
      tinyad_model_threshold, features, scratch, TINYAD_MODEL_SCRATCH};
  return tinyad_mahalanobis_window_verdict<float, TINYAD_MODEL_GROUPS, true>(&d, w);
#else
  static const tinyad_autoencoder_detector<float> d = {
      &tinyad_model_recipe, &tinyad_model_net, tinyad_model_threshold, features, TINYAD_MODEL_N_FEATURES,
      scratch, TINYAD_MODEL_SCRATCH, net_scratch, TINYAD_MODEL_NET_SCRATCH};
  return tinyad_autoencoder_window_verdict<float, TINYAD_MODEL_GROUPS, true>(&d, w);
#endif
}

void setup() {
  Serial.begin(115200);
  delay(500);
  tinyad_features_prepare(&tinyad_model_recipe, scratch, TINYAD_MODEL_SCRATCH);  // Hann, twiddles: once
  tinyad_window<float> w;
  tinyad_window_init(&w, rows, TINYAD_MODEL_WINDOW);
  unsigned matched = 0;
  const uint32_t t0 = micros();
  for (unsigned k = 0; k < TINYAD_TEST_N_WINDOWS; ++k) {
    const float* r = tinyad_test_rows[k];
    for (unsigned i = 0; i < TINYAD_MODEL_WINDOW; ++i) tinyad_window_push(&w, r[3 * i], r[3 * i + 1], r[3 * i + 2]);
    const tinyad_verdict<float> v = score(&w);
    // Same IEEE float arithmetic as the host; with FMA contraction off it is bit-exact.
    if (v.status == TINYAD_STATUS_OK && v.score == tinyad_test_score_f[k]) {
      ++matched;
    } else {
      Serial.print("window ");
      Serial.print(k);
      Serial.print(": score ");
      Serial.print(v.score, 9);
      Serial.print(", host ");
      Serial.println(tinyad_test_score_f[k], 9);
    }
  }
  const uint32_t us = micros() - t0;
  Serial.print(matched == TINYAD_TEST_N_WINDOWS ? "tinyad selftest: PASS " : "tinyad selftest: FAIL ");
  Serial.print(matched);
  Serial.print("/");
  Serial.print(TINYAD_TEST_N_WINDOWS);
  Serial.print(" scores match, ");
  Serial.print(us / TINYAD_TEST_N_WINDOWS);
  Serial.println(" us per window");
}

void loop() { delay(1000); }
