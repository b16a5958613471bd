// selftest.ino: runs the exported test windows through the core on the
// board and prints one PASS/FAIL line on serial: the same check
// `make mcu-test` runs under QEMU (mcu/selftest.cpp), here on real hardware.
// Setup: copy this file and core/*.h into build/sketch/selftest/ (or install
// the tinyad Arduino library, `make arduino-lib`, whose example ships a demo
// model), then `tinyad export MODEL.json build/sketch/selftest --to c` writes
// tinyad_model.h and tinyad_test_windows.h there (not into the tracked firmware/).
// The host computed the scores without fused multiply-add; so must we (ESP32 has madd.s).
// The exported arrays are TINYAD_ROM (flash on AVR): read through tinyad_rom_read().
#pragma GCC optimize("fp-contract=off")
#include <Arduino.h>

#include "tinyad_window.h"
#include "tinyad_model.h"
#include "tinyad_test_windows.h"

// How close a score must be to the host's float score, relative. 0: bit for
// bit, measured on Cortex-M4F, RV32IMC (QEMU) and the ATmega2560 (simavr;
// avr-libc's own float routines, docs/arduino.md). Against the host's double
// score a float device is off by float rounding (about 1e-7 relative; on AVR
// `double` is float, so a float score is all it can compute): printed, not judged.
#ifndef TINYAD_SELFTEST_REL_TOL
#define TINYAD_SELFTEST_REL_TOL 0.0f
#endif
// Text in flash on AVR (F()): an Uno has 2 KB of RAM and the window takes 1.5 KB.
#if defined(__AVR__)
#define TXT(s) F(s)
#else
#define TXT(s) s
#endif
#if defined(__AVR__) && defined(TINYAD_SELFTEST_HALT)
#include <avr/interrupt.h>
#include <avr/sleep.h>
#endif

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
  return tinyad_mahalanobis_window_verdict<float, TINYAD_MODEL_GROUPS, true, true>(&d, w);  // Rom: exported arrays
#else
  static const tinyad_autoencoder_detector<float> d = {
      &tinyad_model_recipe, &tinyad_model_net, tinyad_model_threshold, features, TINYAD_MODEL_N_FEATURES,
      scratch, TINYAD_MODEL_SCRATCH, net_scratch, TINYAD_MODEL_NET_SCRATCH};
  return tinyad_autoencoder_window_verdict<float, TINYAD_MODEL_GROUPS, true>(&d, w);
#endif
}

// In double where there is one (float on AVR).
static float relative_difference(double got, double want) {
  const double diff = got > want ? got - want : want - got;
  return float(want != 0 ? diff / (want > 0 ? want : -want) : diff);
}

void setup() {
  Serial.begin(115200);
  delay(500);
  tinyad_features_prepare(&tinyad_model_recipe, scratch, TINYAD_MODEL_SCRATCH);  // Hann, twiddles: once
  tinyad_window<float> w;
  tinyad_window_init(&w, rows, TINYAD_MODEL_WINDOW);
  unsigned matched = 0, exact = 0, verdicts = 0;
  float worst = 0, worst_d = 0;  // largest relative differences to the host's float and double scores
  const uint32_t t0 = micros();
  for (unsigned k = 0; k < TINYAD_TEST_N_WINDOWS; ++k) {
    const float* r = tinyad_test_rows[k];
    for (unsigned i = 0; i < 3 * TINYAD_MODEL_WINDOW; i += 3)
      tinyad_window_push(&w, tinyad_rom_read(r + i), tinyad_rom_read(r + i + 1), tinyad_rom_read(r + i + 2));
    const tinyad_verdict<float> v = score(&w);
    const float want = tinyad_rom_read(&tinyad_test_score_f[k]);
    const float rel = relative_difference(v.score, want);
    const float rel_d = relative_difference(v.score, tinyad_test_score_d[k]);
    if (v.status == TINYAD_STATUS_OK && rel > worst) worst = rel;
    if (v.status == TINYAD_STATUS_OK && rel_d > worst_d) worst_d = rel_d;
    if (v.status == TINYAD_STATUS_OK && v.score == want) ++exact;
    if (v.anomaly == (tinyad_model_anomalous(want) != 0)) ++verdicts;  // the exported rule
    if (v.status == TINYAD_STATUS_OK && rel <= TINYAD_SELFTEST_REL_TOL) {
      ++matched;
    } else {
      Serial.print(TXT("window "));
      Serial.print(k);
      Serial.print(TXT(": score "));
      Serial.print(v.score, 9);
      Serial.print(TXT(", host "));
      Serial.println(want, 9);
    }
  }
  const uint32_t us = micros() - t0;
  const bool pass = matched == TINYAD_TEST_N_WINDOWS && verdicts == TINYAD_TEST_N_WINDOWS;
  if (pass)
    Serial.print(TXT("tinyad selftest: PASS "));
  else
    Serial.print(TXT("tinyad selftest: FAIL "));
  Serial.print(matched);
  Serial.print(TXT("/"));
  Serial.print(TINYAD_TEST_N_WINDOWS);
  Serial.print(TXT(" scores match ("));
  Serial.print(exact);
  Serial.print(TXT(" bit for bit, largest relative difference "));
  Serial.print(worst * 1e6f, 3);
  Serial.print(TXT("e-6; to the host's double scores "));
  Serial.print(worst_d * 1e6f, 3);
  Serial.print(TXT("e-6), verdicts "));
  Serial.print(verdicts);
  Serial.print(TXT("/"));
  Serial.print(TINYAD_TEST_N_WINDOWS);
  Serial.print(TXT(", "));
  Serial.print(us / TINYAD_TEST_N_WINDOWS);
  Serial.println(TXT(" us per window"));
#if defined(__AVR__) && defined(TINYAD_SELFTEST_HALT)
  // For the emulator (mcu/arduino_test.sh): sleeping with interrupts off ends simavr.
  Serial.flush();
  cli();
  sleep_enable();
  sleep_cpu();
#endif
}

void loop() { delay(1000); }
